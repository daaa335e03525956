"""The matches the topic rules make on texts nobody tuned them on, to be read by hand:
how a change of rules is checked against false alarms beyond the labelled passages.

    uv run python scripts/unseen.py 'Fake.br-Corpus/full_texts/*/*.txt'
    uv run python scripts/unseen.py --topics my-topics.yaml 'bbc/*/*.txt'

Each argument is a glob of plain-text files, each read as one article's text. Every
match is printed with the sentences that hold its evidence; the last line counts the
texts and the matches by topic. Collections used so far, kept out of this repository
(the articles' copyright stays with their publishers): Fake.br
(github.com/roneysco/Fake.br-Corpus, 7,200 Brazilian news texts, `full_texts/*/*.txt`),
FakeNewsCorpusSpanish (github.com/jpposadas/FakeNewsCorpusSpanish, 1,543 texts in three
spreadsheets) and the BBC News dataset (2,225 texts in English, `bbc/*/*.txt`).
"""

from __future__ import annotations

import argparse
import collections
import glob
import sys
from pathlib import Path

from pipeline.topics.definitions import load_topics
from pipeline.topics.tagging import Tagger, sentences_of


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("globs", nargs="+", help="plain-text files, as globs")
    parser.add_argument("--topics", type=Path, help="topics file (default: the bundled one)")
    args = parser.parse_args(argv)
    tagger = Tagger(load_topics(args.topics))
    texts, found = 0, collections.Counter()
    for pattern in args.globs:
        for path in sorted(glob.glob(pattern)):
            text = Path(path).read_text(errors="replace")
            texts += 1
            for match in tagger.tag(text):
                found[match.topic] += 1
                print(f"{match.topic}  {path}")
                for sentence in sentences_of(text, match):
                    print(f"    {sentence[:300]}")
    counts = ", ".join(f"{topic} {n}" for topic, n in sorted(found.items())) or "none"
    print(f"{texts:,} texts; matches: {counts}")
    return 0 if texts else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
