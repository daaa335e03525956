"""The package's shape: stages import only stages below them, no module imports in a
circle, the linter and the type checker find nothing."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CHECKOUT

PACKAGE = CHECKOUT / "pipeline"
# Lower first: a module may import from its own folder and from folders before it.
LAYERS = [{"core"}, {"store"}, {"topics", "stories", "ingest"}, {"extract"}, {"trends"},
          {"alerts"}, {"runs"}, {"demo"}, {"ui"}]
LEVEL = {folder: i for i, folders in enumerate(LAYERS) for folder in folders}


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(CHECKOUT).with_suffix("").parts): p
            for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipeline")}
    return found


def test_every_folder_imports_only_from_folders_below_it():
    wrong = []
    for name, path in modules().items():
        parts = name.split(".")
        if len(parts) < 3:  # pipeline/__main__.py: the door to the command
            continue
        for target in imports(path):
            folder = target.split(".")[1] if target.count(".") >= 1 else None
            if folder in LEVEL and LEVEL[folder] > LEVEL[parts[1]]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_module_imports_in_a_circle():
    known = modules()
    graph = {name: {t for t in imports(path) if t in known} for name, path in known.items()}
    seen, stack, cycles = set(), [], []

    def visit(node: str) -> None:
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    assert cycles == []


@pytest.mark.parametrize("tool", [["ruff", "check", "pipeline", "tests", "bench", "dags"],
                                  ["mypy", "pipeline"]])
def test_the_linter_and_the_type_checker_find_nothing(tool):
    program = shutil.which(tool[0], path=str(Path(sys.executable).parent))
    if program is None:
        pytest.skip(f"{tool[0]} is not installed (uv sync --group test)")
    result = subprocess.run([program, *tool[1:]], cwd=CHECKOUT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
