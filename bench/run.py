"""Run the benchmarks and write bench/results.md.

    .venv/bin/python -m bench.run [NAME ...]

Every figure is a ratio against the bare library on the same input in the same run:
the machines are noisy, so absolute times are reported only beside their ratio.
"""

from __future__ import annotations

import importlib
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.common import machine

BENCHES = ["tagging", "airflow"]
RESULTS = Path(__file__).resolve().parent / "results.md"


def main(names: list[str]) -> None:
    lines = ["# Benchmark results", "",
             f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.",
             "Regenerate with `.venv/bin/python -m bench.run`.", ""]
    for name in names or BENCHES:
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name}...", file=sys.stderr)
        lines += [f"## {name}", "", (module.__doc__ or "").strip(), "",
                  "| measure | value | ratio |", "|---|---|---|"]
        lines += [f"| {a} | {b} | {c} |" for a, b, c in module.run()]
        lines.append("")
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main(sys.argv[1:])
