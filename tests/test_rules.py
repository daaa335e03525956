import pytest

from pipeline.core.config import ConfigError
from pipeline.topics import rules
from pipeline.topics.definitions import load_topics
from pipeline.topics.rules import And, Field, Near, Not, Or, QueryError, Term, parse


def test_the_language():
    assert parse('title:(Irán OR "Quds Force") NEAR/s @latam AND NOT nuclear*') == And((
        Near(Field("title", Or((Term(("Irán",)), Term(("Quds", "Force"))))), rules.Alias("latam"), None),
        Not(Term(("nuclear",), prefix=True))))
    assert parse("a b") == parse("a AND b")
    assert parse("a NEAR/5 b") == Near(Term(("a",)), Term(("b",)), 5)
    assert parse('"road block*"') == Term(("road", "block"), prefix=True)
    # operators are upper case; in lower case they are words to look for
    assert parse("bread and butter") == And((Term(("bread",)), Term(("and",)), Term(("butter",))))
    assert parse("ANDROID OR ORACLE") == Or((Term(("ANDROID",)), Term(("ORACLE",))))
    # braces: capitals where the term has them, for a word or a phrase, in queries and
    # alias entries alike
    assert parse('{Irán} OR {"Quds Force"}') == Or((Term(("Irán",), cased=True),
                                                   Term(("Quds", "Force"), cased=True)))
    assert rules.term("{Costa Rica}") == Term(("Costa", "Rica"), cased=True)
    assert str(Term(("Irán",), cased=True)) == "{Irán}"
    # NOT NEAR: the left side where the right is not that near; NOT alone stays a NOT
    assert parse("compr* NOT NEAR/1 soja") == Near(Term(("compr",), prefix=True), Term(("soja",)), 1,
                                                 without=True)
    assert parse("a NOT NEAR/s b") == Near(Term(("a",)), Term(("b",)), None, 0, without=True)
    assert parse("a NOT b") == And((Term(("a",)), Not(Term(("b",)))))
    # prominence: found at least twice, or in the lead (the title and first sentences)
    assert parse("ATLEAST2 @iran OR lead:@iran") == Or((rules.AtLeast(2, rules.Alias("iran")),
                                                       Field("lead", rules.Alias("iran"))))


@pytest.mark.parametrize("query, column, expected", [
    ("puno AND (paro OR", None, "expected"),
    ("puno OR OR paro", 9, "a word"),
    ("puno NEAR/3 NOT paro", 13, "a word"),
    ("(puno", None, "expected )"),
    ("puno) paro", 5, "the end of the query"),
])
def test_syntax_errors_say_where_and_what_was_expected(query, column, expected):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert expected in str(caught.value)
    if column:
        assert caught.value.column == column and f"column {column}" in str(caught.value)


@pytest.mark.parametrize("query", ["*puno", "pu*no", "puno NEAR/s (paro AND huelga)",
                                   "puno NEAR/2 NOT paro", "{}", "{Irán", "{{Irán}}", "ATLEAST0 Irán",
                                   "Irán NEAR/s ATLEAST2 Venezuela", "(ATLEAST2 Irán OR Irã) NEAR/s Brasil"])
def test_queries_that_cannot_mean_anything(query):
    with pytest.raises(QueryError):
        parse(query)


def test_a_bad_query_in_the_topics_file_names_topic_line_and_position(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text("topics:\n  - id: ok\n    name: OK\n    query: puno\n"
                    "  - id: broken\n    name: Broken\n    query: puno AND (paro OR\n")
    with pytest.raises(ConfigError) as caught:
        load_topics(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:7: topics[1].query: 'broken': syntax error at the end")
    assert "expected" in message


def test_unknown_aliases_are_named(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text("aliases:\n  places: [Puno]\ntopics:\n  - id: t\n    name: T\n"
                    "    query: '@places NEAR/s @protest'\n")
    with pytest.raises(ConfigError, match="unknown alias @protest") as caught:
        load_topics(path)
    assert caught.value.line == 6
