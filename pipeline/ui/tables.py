"""Rows as a table that reads at any width: on a terminal of 80 columns, in a pipe to
`less`, in a cron mail.

Columns are of two kinds. Key columns (dates, ids, topic names, states, numbers) are
never cut: an analyst greps and copies them. Text columns (titles, snippets, errors,
payloads) are the ones that give way, cut to one line with an ellipsis. When the keys
alone do not fit, each row is printed as a block of `column: value` lines, whole. Off a
terminal the table has no box drawing and no colour, only aligned columns.
"""

from __future__ import annotations

from typing import Any, Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

TEXT_AT = 24  # a value of words longer than this is prose, not a key
NARROWEST_TEXT = 12  # below this a cut text column says nothing: print blocks instead
SAMPLE = 500  # rows looked at to tell the kinds of column apart


def is_text(values: Sequence[str]) -> bool:
    """A text column: some value is long prose, words with spaces between them (the rest of
    the column may be short). A timestamp has a space but no letters; an id or a URL has
    letters but no space: both are keys, whatever their length."""
    return any(cell_len(v) > TEXT_AT and any(c.isspace() for c in v) and any(c.isalpha() for c in v)
               for v in values[:SAMPLE])


def print_table(console: Console, columns: Sequence[str], rows: Sequence[Sequence[str]],
                title: str | None = None) -> None:
    """Print rows of cells (strings already made safe to show), in the layout that fits."""
    terminal = console.is_terminal
    texts = [is_text([row[i] for row in rows]) for i in range(len(columns))]
    widths = [max([cell_len(c), *(cell_len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    gaps = 3 * len(columns) + 1 if terminal else 2 * (len(columns) - 1)
    keys = sum(w for w, text in zip(widths, texts) if not text)
    wanted = keys + sum(min(w, NARROWEST_TEXT) for w, text in zip(widths, texts) if text) + gaps
    if title:
        console.print(Text(title, style="bold" if terminal else ""))
    if rows and wanted > console.width:
        _blocks(console, columns, rows)
        return
    room = _shares([w for w, text in zip(widths, texts) if text], console.width - gaps - keys)
    table = Table(box=box.SQUARE if terminal else None, pad_edge=terminal, show_edge=terminal,
                  padding=(0, 1) if terminal else (0, 2, 0, 0), header_style="bold" if terminal else "")
    for i, (column, width, text) in enumerate(zip(columns, widths, texts)):
        # every width is set: rich would otherwise cut key columns too when space is short
        table.add_column(column, no_wrap=True, overflow="ellipsis",
                         width=room.pop(0) if text else width,
                         justify="right" if _numbers([row[i] for row in rows]) else "left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    emit(console, table)


def emit(console: Console, renderable: Any) -> None:
    """Print; off a terminal without the spaces rich pads each line with to the table's
    width (they trail in a cron mail and in every diff of saved output)."""
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def framed(console: Console, title: str | None = None, **options: Any) -> Table:
    """A rich Table drawn as `print_table` draws: boxed on a terminal, plain elsewhere."""
    terminal = console.is_terminal
    if not terminal:
        # rows that take several lines are told apart by a blank line, not a rule
        options.update(box=None, show_edge=False, pad_edge=False, header_style="", title_style="",
                       padding=(0, 2, 1 if options.pop("show_lines", False) else 0, 0))
    return Table(title=title, title_justify="left", **options)


def _numbers(values: Sequence[str]) -> bool:
    """A column of numbers (blanks allowed), which reads best aligned right."""
    filled = [v for v in values if v]
    try:
        [float(v.removesuffix("%")) for v in filled]
    except ValueError:
        return False
    return bool(filled)


def _shares(wanted: list[int], room: int) -> list[int]:
    """Room split among text columns: none more than it needs, the rest alike."""
    given = [0] * len(wanted)
    left = sorted(range(len(wanted)), key=lambda i: wanted[i])
    while left:
        share = room // len(left)
        i = left.pop(0)
        given[i] = max(min(wanted[i], share), 1)
        room -= given[i]
    return given


def _blocks(console: Console, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """One row per block of `column: value` lines, every value whole: wrapped on a
    terminal, on one line elsewhere (a URL must stay one piece to be copied)."""
    if not console.is_terminal:
        label = max(cell_len(c) for c in columns)
        blocks = ["\n".join(f"{c:>{label}}: {v}" for c, v in zip(columns, row)) for row in rows]
        console.file.write("\n\n".join(blocks) + "\n")
        return
    for n, row in enumerate(rows):
        if n:
            console.print()
        block = Table.grid(padding=(0, 1))
        block.add_column(justify="right", no_wrap=True, style="bold" if console.is_terminal else "")
        block.add_column(overflow="fold")
        for column, cell in zip(columns, row):
            block.add_row(f"{column}:", Text(cell))
        emit(console, block)


def cells(rows: Sequence[Sequence[Any]], show) -> list[list[str]]:
    """Values as the cells `print_table` takes: None as empty, each through `show`."""
    return [["" if v is None else show(v) for v in row] for row in rows]
