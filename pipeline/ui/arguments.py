"""Command-line arguments checked as they are read, so that a mistake is one line naming
it, before any work starts, rather than a traceback after it."""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import date
from pathlib import Path
from typing import Iterable, NoReturn


class CommandError(Exception):
    """A command that cannot do what was asked, for a reason the user can act on."""


class Parser(argparse.ArgumentParser):
    """argparse, whose errors are one line (usage is one `-h` away, not printed each time)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {self.prog}: {message} (see {self.prog} -h)\n")
        sys.exit(2)


def output_file(text: str) -> Path:
    """A file to write: its folder must exist (we do not create folders from a typo)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, not a file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no folder {path.parent} to write {path.name} into")
    return path


def output_folder(text: str) -> Path:
    """A folder to write files into: made if missing, but its parent must exist."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a folder")
    if not path.exists() and not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no folder {path.parent} to make {path.name} in")
    return path


def count(text: str) -> int:
    """A positive whole number."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def day(text: str) -> date:
    """A calendar day, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day as YYYY-MM-DD") from None


def unknown(what: str, name: str, known: Iterable[str]) -> str:
    """'no topic "puno": did you mean puno-protests? (known: a, b, c)'."""
    known = sorted(set(known))
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5) or \
        [k for k in known if name.lower() in k.lower()][:1]
    guess = f"; did you mean {close[0]}?" if close else ""
    listed = ", ".join(known) if known else "none yet"
    return f"no {what} {name!r}{guess} (known: {listed})"
