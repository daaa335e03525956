"""Countries a matching article names, in Spanish or English: which governments an
Iran story involves, where a Chinese purchase is. Names, demonyms and capitals the
region's press uses; a word boundary that knows accented letters (RE2's \\b does not)."""

from __future__ import annotations

from pipeline.store.duck import literal

_NAMES = {
    "Argentina": r"argentin[ao]s?|argentinian|buenos aires",
    "Bolivia": r"bolivia|bolivian[oa]s?|la paz",
    "Brazil": r"brasil|brazil|brasile[ñn][oa]s?|brazilian|brasilia",
    "Chile": r"chile|chilen[oa]s?|chilean|santiago de chile",
    "China": r"china|chin[oa]s|chinese|beijing|pek[ií]n",
    "Colombia": r"colombia|colombian[oa]s?|bogot[aá]",
    "Cuba": r"cuba|cuban[oa]s?|la habana|havana",
    "Ecuador": r"ecuador|ecuatorian[oa]s?|ecuadorian|quito",
    "Iran": r"ir[aá]n|iran[ií]|iran[ií]es|iranian|teher[aá]n|tehran",
    "Mexico": r"m[eé]xico|mexican[oa]s?",
    "Nicaragua": r"nicaragua|nicaraguense|nicaraguan|managua",
    "Paraguay": r"paraguay|paraguay[oa]s?|asunci[oó]n",
    "Peru": r"per[uú]|peruan[oa]s?|peruvian|lima",
    "United States": r"estados unidos|ee\.?\s?uu\.?|united states|washington|u\.s\.",
    "Uruguay": r"uruguay|uruguay[oa]s?|montevideo",
    "Venezuela": r"venezuela|venezolan[oa]s?|venezuelan|caracas",
}

def named_in(column: str) -> str:
    """SQL for the list of the countries the text in `column` names (NULL for each it
    does not), each a pattern for DuckDB's regexp_matches (RE2) between word boundaries.
    Each pattern is written into the statement: RE2 compiles a constant once, but a
    pattern read from a row or a parameter once per row, which on the 2,500 matching
    articles of a month took ten seconds."""
    patterns = {name: rf"(?i)(^|[^\pL])(?:{words})([^\pL]|$)" for name, words in _NAMES.items()}
    return "[" + ", ".join(f"CASE WHEN regexp_matches({column}, {literal(pattern)}) "
                           f"THEN {literal(name)} END" for name, pattern in patterns.items()) + "]"
