"""Where the bundled data lives: `sql/`, `config/` and `demo/` beside the package in a
checkout (editable install), or inside it as `_data/` in a built wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # pipeline/


def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} is missing from the installation")


def sql_text(name: str) -> str:
    """The text of `sql/<name>.sql`, e.g. `queries/plan_polls`."""
    return (data_dir("sql") / f"{name}.sql").read_text(encoding="utf-8")
