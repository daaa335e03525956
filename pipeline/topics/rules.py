"""The topic query language: text to a tree. Pure.

The language analysts know from Meltwater, Talkwalker or GDELT:

    china-acquisitions:  @chinese-buyer NEAR/s @acquisition NEAR/s @latin-america
    iran-ties:           (Iran OR Irán OR "Quds Force") NEAR/s (Venezuela OR Bolivia*)
                         AND NOT "nuclear programme"

- `AND`, `OR`, `NOT` (upper case; words side by side are joined by AND), parentheses;
- `"quoted phrases"`; `protest*` for any word that starts with `protest`;
- `{Irán}`, `{"Quds Force"}`: capitals where the term has them (as Brandwatch's braces),
  for names that are also words: Irán is Iran, irán is "they will go";
- `a NEAR/5 b`: a and b at most 5 words apart; `a NEAR/s b`: in the same sentence;
  `a NEAR/s1 b`: in the same sentence or the next (evidence a writer spread over two);
- `a NOT NEAR/2 b`, `a NOT NEAR/s b`: a where no b is that near ("bought" but not two
  words from "soybeans"): a NOT of one sentence, where `NOT` is one of the whole text;
- `title:(...)`, `text:(...)`: only in that field; `lead:(...)`: in the title or the
  text's first three sentences (Factiva's headline and lead paragraph);
- `ATLEAST2 @iran`: found at least twice (Factiva's atleastN, LexisNexis' ATLEAST): a
  long text that names Iran once, in passing, is not about Iran (beside other evidence
  in an AND, it and `lead:` decide whether a text matches, not what the match shows);
- `@name`: a named alias set (an entity with all its names), defined once, shared.

lark parses it (LALR), so a syntax error knows its column and what could come next.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND? not_expr)*
?not_expr: _NOT not_expr -> not_
         | near_expr
?near_expr: atom ((NEAR | NOTNEAR) atom)*
?atom: "(" or_expr ")"
     | FIELD atom -> field
     | ATLEAST atom -> at_least
     | PHRASE -> phrase
     | CASED -> cased
     | ALIAS -> alias
     | WORD -> word
NEAR.3: /NEAR\/(\d+|s\d?)\b/
NOTNEAR.4: /NOT\s+NEAR\/(\d+|s\d?)\b/
FIELD.2: /(title|text|lead):/
ATLEAST.3: /ATLEAST\d+\b/
PHRASE: /"[^"]*"\*?/
CASED.2: /\{("[^"]*"|[^\s()"@:{}]+)\}\*?/
ALIAS: /@[a-z0-9][a-z0-9_-]*/
_AND.2: /AND\b/
_OR.2: /OR\b/
_NOT.2: /NOT\b/
WORD: /[^\s()"@:]+/
%ignore /\s+/
"""

_NAMES = {"WORD": "a word", "PHRASE": "a \"phrase\"", "CASED": "a {Cased} term", "ALIAS": "an @alias",
          "LPAR": "(", "RPAR": ")", "_NOT": "NOT", "_AND": "AND", "_OR": "OR", "NEAR": "NEAR/n",
          "NOTNEAR": "NOT NEAR/n", "ATLEAST": "ATLEASTn",
          "FIELD": "title:, text: or lead:", "$END": "the end of the query"}


class QueryError(ValueError):
    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]      # as written; one word, or the words of a phrase
    prefix: bool = False        # the last word is a prefix (`protest*`)
    cased: bool = False         # capitals where the words have them (`{Irán}`)

    def __str__(self) -> str:
        text = " ".join(self.words) + ("*" if self.prefix else "")
        text = f'"{text}"' if len(self.words) > 1 else text
        return f"{{{text}}}" if self.cased else text


@dataclass(frozen=True)
class Alias:
    name: str


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: object


@dataclass(frozen=True)
class Near:
    left: object
    right: object
    distance: int | None        # words between them at most; None: counted in sentences
    sentences: int = 0          # with distance None: sentences apart at most (0: the same)
    without: bool = False       # NOT NEAR: the left side where the right is not that near


@dataclass(frozen=True)
class Field:
    name: str                   # title, text or lead
    part: object


@dataclass(frozen=True)
class AtLeast:
    count: int                  # distinct hits the part needs at least
    part: object


def term(text: str) -> Term:
    """A term from its written form: `word`, `prefix*`, the words of a phrase, or any
    of them in braces (`{Irán}`, `{"Quds Force"}`): capitals where it has them."""
    if text.startswith("{"):
        inner = text[1:].replace("}", "", 1) if "}" in text else ""
        if not inner.rstrip("*").strip('"') or text.count("}") != 1 or "{" in text[1:]:
            raise QueryError(f"{text!r}: braces hold one word or one quoted phrase")
        found = term(inner.replace('"', ""))
        return Term(found.words, found.prefix, cased=True)
    prefix = text.endswith("*")
    words = tuple(text.rstrip("*").split())
    if not words or any("*" in w for w in words):
        raise QueryError(f"{text!r}: a term needs letters, and * only at its end")
    return Term(words, prefix)


@v_args(inline=True)
class _Build(Transformer):
    def word(self, token: Token) -> Term:
        return term(str(token))

    def phrase(self, token: Token) -> Term:
        text = str(token)
        return term(text[1:-2] + "*" if text.endswith("*") else text[1:-1])

    def cased(self, token: Token) -> Term:
        return term(str(token))

    def alias(self, token: Token) -> Alias:
        return Alias(str(token)[1:])

    def field(self, token: Token, part) -> Field:
        return Field(str(token)[:-1], part)

    def at_least(self, token: Token, part) -> AtLeast:
        count = int(str(token)[len("ATLEAST"):])
        if count < 1:
            raise QueryError(f"{token}: ATLEAST needs a count of 1 or more")
        return AtLeast(count, part)

    def not_(self, part) -> Not:
        return Not(part)

    def or_expr(self, *parts) -> Or:
        return Or(parts)

    def and_expr(self, *parts) -> And:
        return And(parts)

    def near_expr(self, *items):
        node = items[0]
        for op, right in zip(items[1::2], items[2::2]):
            kind, without = str(op).split("/")[1], str(op).startswith("NOT")
            for side in (node, right):
                if isinstance(side, (Not, And, AtLeast)) or (isinstance(side, Or) and _unplaced(side)):
                    raise QueryError("NEAR needs words, phrases, aliases or OR-groups of "
                                     "them on both sides")
            node = Near(node, right, None, int(kind[1:] or 0), without) if kind.startswith("s") \
                else Near(node, right, int(kind), 0, without)
        return node


def _unplaced(node) -> bool:
    """Whether a part holds a NOT or an ATLEAST: conditions on the whole text, with no
    place in it that a NEAR could measure from."""
    if isinstance(node, (Not, AtLeast)):
        return True
    return any(_unplaced(p) for p in getattr(node, "parts", ()))


_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=False)


def parse(query: str):
    """The tree of a query; a QueryError says where and what was expected."""
    try:
        return _Build().transform(_PARSER.parse(query))
    except UnexpectedInput as error:
        raise QueryError(_explain(error, query), getattr(error, "column", None)) from None
    except Exception as error:  # lark wraps errors raised by the transformer
        cause = getattr(error, "orig_exc", error)
        if isinstance(cause, QueryError):
            raise cause from None
        raise


def _explain(error: UnexpectedInput, query: str) -> str:
    column = getattr(error, "column", None)
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken)
                                            and error.token.type == "$END"):
        where, found = "at the end", "the end of the query"
    elif isinstance(error, UnexpectedCharacters):
        where, found = f"at column {column}", repr(query[error.pos_in_stream or 0])
    else:
        where, found = f"at column {column}", repr(str(getattr(error, "token", "")))
    expected = sorted({_NAMES.get(name, name) for name in getattr(error, "expected", set()) or
                       getattr(error, "allowed", set()) or set()})
    wanted = f"expected {', '.join(expected)}" if expected else "unexpected input"
    return f"syntax error {where}: {wanted}; found {found}"


def aliases_used(node) -> set[str]:
    if isinstance(node, Alias):
        return {node.name}
    children = getattr(node, "parts", None) or [getattr(node, n) for n in ("part", "left", "right")
                                               if hasattr(node, n)]
    return set().union(*(aliases_used(c) for c in children)) if children else set()
