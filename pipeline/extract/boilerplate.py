"""Boilerplate that general extraction lets through on Latin American news sites:
"LEA TAMBIÉN" teasers, related-story blocks, tag lists, subscription pitches. Pure, and
kept as data: line patterns here, per-outlet selectors in `config/sites.yaml`.

A teaser that slips into an article's text is not cosmetic: "LEA TAMBIÉN: China compra
..." makes the tagger fire on an article about something else.
"""

from __future__ import annotations

import re

from pipeline.core.text import fold

# Lines that introduce another story ("LEA TAMBIÉN: ...") or ask for money or clicks.
# Matched on folded text (lower case, no accents), at the start of a line.
_TEASER = re.compile(
    r"^(lea|lee|leer|vea|ver|mira|mire|escucha|enterate|enterese|te puede interesar|"
    r"le puede interesar|puede interesarte|podria interesarte|te recomendamos|"
    r"tambien te puede interesar|tambien puedes leer|recomendado|recomendamos|"
    r"contenido relacionado|noticias relacionadas|notas relacionadas|relacionad[oa]s?|"
    r"mas sobre|mas noticias|mas informacion|temas relacionados|temas|etiquetas|tags|"
    r"siguenos|suscribete|suscribase|hazte miembro|unete|apoya|"
    r"seguir leyendo|sigue leyendo|read more|related|see also|more on|leia tambem|veja tambem|saiba mais)\b")
_HEADING_ONLY = re.compile(r"^[\w\s]{2,40}:?$")
_PITCH = re.compile(r"(cancela cuando quieras|hazte miembro|suscribete|suscribase|"
                    r"newsletter|boletin de noticias|descarga (nuestra|la) app|"
                    r"canal de (youtube|whatsapp|telegram)|siguenos en|hacemos periodismo|"
                    r"apoya (el|nuestro) periodismo|periodismo independiente necesita)")
# A photo caption: a short line that credits a photo.
_CAPTION = re.compile(r"\((foto|fotos|fotografia|imagen|photo|credito)s?:[^)]*\)\.?$|"
                      r"^(foto|fotos|fotografia|imagen|photo)s?:")


def clean(text: str) -> str:
    """The text without teaser lines (and the story title a bare teaser heading
    introduces), pitches, and the short tag lines that trail an article."""
    lines = text.split("\n")
    kept: list[str] = []
    skip_next = False
    for line in lines:
        folded = fold(line.strip())
        if skip_next and len(line.split()) <= 25:
            skip_next = False
            continue
        skip_next = False
        if _TEASER.match(folded) and (":" in folded[:40] or len(line.split()) <= 20):
            # "Le puede interesar" alone on its line: the next line is the story it names
            skip_next = bool(_HEADING_ONLY.match(folded))
            continue
        if (_PITCH.search(folded) or _CAPTION.search(folded)) and len(line.split()) <= 40:
            continue
        kept.append(line)
    while kept and _is_trailer(kept[-1]):
        kept.pop()
    return "\n".join(kept).strip()


_TAG_WORD = re.compile(r"^(?:[A-ZÁÉÍÓÚÑ][a-záéíóúñü-]*|de|del|la|las|el|los|y|e|en)$")


# Template debris ("FI name: Abril 2022", "PP:") and a headline in a list of other
# stories ("-La historia de la mujer que...", no full stop).
_FIELD = re.compile(r"^[\w ]{1,15}:(\s+\S+){0,3}$")
_LISTED_HEADLINE = re.compile(r"^[-•›]\s?\S.{10,200}[^.:]$")


def _is_trailer(line: str) -> bool:
    """A line that, at the end of the text, is not the article's: a topic tag ("Corte
    Suprema", "Nueva Constitución"), template debris, a listed headline."""
    line = line.strip()
    words = line.split()
    if not words:
        return True
    tag = len(words) <= 4 and all(_TAG_WORD.match(w) for w in words) and words[0][0].isupper()
    return tag or bool(_FIELD.match(line)) or bool(_LISTED_HEADLINE.match(line))
