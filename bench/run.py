"""Run the benchmarks and write bench/results.md.

    .venv/bin/python -m bench.run [NAME ...]

With names, only those sections of results.md are measured again and replaced; each
section says when it was run. Every figure is a ratio against the bare library on the
same input in the same run: the machines are noisy, so absolute times are reported only
beside their ratio.
"""

from __future__ import annotations

import importlib
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from bench.common import machine

BENCHES = ["pipeline", "budget", "appends", "polling", "latency", "archive", "scaling", "extraction",
           "tagging", "trends", "airflow"]
RESULTS = Path(__file__).resolve().parent / "results.md"


def section(name: str) -> str:
    module = importlib.import_module(f"bench.{name}")
    print(f"running {name}...", file=sys.stderr)
    rows = module.run()
    lines = [f"## {name}", "", f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine()}.", "",
             (module.__doc__ or "").strip(), "", "| measure | value | ratio |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines) + "\n"


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(BENCHES)})")
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    sections = {m.group(1): m.group(0) for m in
                re.finditer(r"^## (\w+)\n.*?(?=^## |\Z)", old, flags=re.M | re.S)}
    for name in names or BENCHES:
        sections[name] = section(name)
    text = ("# Benchmark results\n\nRegenerate with `.venv/bin/python -m bench.run` "
            "(or `... bench.run NAME` for one section).\n\n"
            + "\n".join(sections[name].rstrip("\n") + "\n" for name in BENCHES if name in sections))
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
