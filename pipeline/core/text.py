"""Text from strangers made safe to store, match and show. Pure.

- `fold`: lower case without accents, as long as the text, so that offsets found in
  the folded text are offsets in the original (tagging, stories, boilerplate);
  `fold_words` also reads quotation marks as spaces.
- `clean`: valid UTF-8 without NUL or control characters (newlines and tabs stay): a
  title with ESC in it must not reach a terminal, a NUL must not reach the store.
- `repair_references`: character references that name no character a document may hold
  (`&#xD800;`, `&#0;`, `&#xFFFE;`) rewritten before a parser sees them. feedparser's
  fallback parser raised UnicodeEncodeError on one lone surrogate and lost the whole
  feed; lxml gave up on a page holding `&#xFFFE;`. A surrogate pair written as two
  references becomes the character it means; C1 numbers are read as Windows-1252, as
  browsers read them (`&#150;` is an en dash).
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls but tab, LF, CR; DEL; C1 controls; the two noncharacters XML forbids.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_REFERENCE = r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));"
_REFERENCES = re.compile(_REFERENCE + f"(?:{_REFERENCE})?")
_REFERENCES_BYTES = re.compile(_REFERENCES.pattern.encode())
REPLACEMENT = "\ufffd"


def _fold_table() -> dict[int, str]:
    table = {}
    for code in range(0x2B0):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char)
                       if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base != char:
            table[code] = base
    for space in "\t\n\r\x0b\x0c\xa0\u2009\u202f":
        table[ord(space)] = " "
    table[0x130] = "i"  # the one character whose lower() is two characters long
    return table


_FOLD = _fold_table()
# for matching words: quotation marks are no part of a phrase ('virar uma "China"')
_FOLD_WORDS = {**_FOLD, **{ord(mark): " " for mark in '"“”«»„'}}


def fold(text: str) -> str:
    """Lower case without accents, exactly as long as `text`."""
    return text.translate(_FOLD).lower()


def fold_words(text: str) -> str:
    """`fold`, and each quotation mark a space."""
    return text.translate(_FOLD_WORDS).lower()


def clean(text: str | None) -> str | None:
    """Valid UTF-8 with no NUL or control characters (newlines and tabs stay)."""
    if text is None:
        return None
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    return _CONTROL.sub("", text)


_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` for a terminal: control characters (ESC starts colours and hyperlinks,
    CR overwrites a line) written out as `\\x1b`, so they show and do nothing."""
    return _INVISIBLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _number(hexadecimal: str | None, decimal: str | None) -> int:
    return int(hexadecimal, 16) if hexadecimal is not None else int(decimal or "0")


def _allowed(code: int) -> bool:
    """Whether a document may hold the character `code` (XML 1.0's characters, less
    the controls that are no text)."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code < 0x7F or 0xA0 <= code < 0xD800 \
        or 0xE000 <= code <= 0x10FFFF and code not in (0xFFFE, 0xFFFF)


def _character(code: int) -> str:
    """What a reference to `code` stands for: the character; a C1 number as
    Windows-1252 reads it; nothing for a control; U+FFFD for what is no character."""
    if _allowed(code):
        return chr(code)
    if 0x80 <= code <= 0x9F:
        try:
            return bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            return ""
    if code < 0x20 or code in (0x7F, 0xFFFE, 0xFFFF):
        return ""
    return REPLACEMENT  # surrogates, and numbers beyond Unicode


def _repair(match: re.Match[str]) -> str:
    hexadecimal, decimal, hexadecimal2, decimal2 = match.groups()
    codes = [_number(hexadecimal, decimal)]
    if hexadecimal2 or decimal2:
        codes.append(_number(hexadecimal2, decimal2))
    if all(_allowed(code) for code in codes):
        return match.group(0)  # nothing wrong here
    if len(codes) == 2 and 0xD800 <= codes[0] <= 0xDBFF and 0xDC00 <= codes[1] <= 0xDFFF:
        return _as_reference(chr(0x10000 + ((codes[0] - 0xD800) << 10) + (codes[1] - 0xDC00)))
    return _as_reference("".join(_character(code) for code in codes))


def _as_reference(text: str) -> str:
    return "".join(f"&#x{ord(c):X};" for c in text)


def repair_references(markup: str) -> str:
    """`markup` with every character reference naming a character it may hold."""
    if "&#" not in markup:
        return markup
    return _REFERENCES.sub(_repair, markup)


def repair_references_in_bytes(markup: bytes) -> bytes:
    """The same on bytes in an ASCII-compatible encoding (a feed before parsing)."""
    if b"&#" not in markup:
        return markup
    # references are ASCII: each is repaired as text
    return _REFERENCES_BYTES.sub(
        lambda m: _REFERENCES.sub(_repair, m.group(0).decode("ascii")).encode("ascii"), markup)


def day_shown(published, date_source: str | None) -> str:
    """An article's day as alerts, tables and reports show it: marked when the page gave
    none and it was guessed (htmldate's search), said when there is none at all."""
    if not published:
        return "date unknown"
    day = published.date().isoformat() if hasattr(published, "date") else str(published)[:10]
    return f"{day} (guessed)" if date_source == "guess" else day
