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
    """SQL for the sorted list of the countries the text in `column` names, each named by
    one of its words between word boundaries, as regexp_matches (RE2) would find it with
    a pattern per country. One pass over the text instead of one per country, four times
    faster (a month of a large log: 0.63 s -> 0.15 s): every word that starts with a
    name is taken whole (the name and the letters after it: `\\pL*`), then kept when it
    is one of a country's words exactly. Each pattern is written into the statement:
    RE2 compiles a constant once, but a pattern read from a row or a parameter once per
    row, which on the 2,500 matching articles of a month took ten seconds."""
    starts = "|".join(f"(?:{words})" for words in _NAMES.values())
    found = rf"(?i)(?:^|[^\pL])((?:{starts})\pL*)"
    countries = ", ".join(f"CASE WHEN regexp_full_match(w, {literal('(?i)(?:' + words + ')')}) "
                          f"THEN {literal(name)} END" for name, words in _NAMES.items())
    return (f"list_sort(list_distinct(flatten(list_transform("
            f"list_distinct(regexp_extract_all({column}, {literal(found)}, 1)), "
            f"w -> list_filter([{countries}], c -> c IS NOT NULL)))))")
