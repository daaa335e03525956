"""What `newsmon sql` lets through: one query over the log and its views, judged by what
it does, using DuckDB's own parser and its serialised syntax tree. Pure (an in-memory
DuckDB parses; nothing is opened).

A statement's first word says little: `EXPLAIN ANALYZE` runs the statement inside it
(`EXPLAIN ANALYZE COPY (...) TO '<the log's data file>'` overwrote a DuckLake's events),
and a SELECT can read files through table functions (`read_blob`, `read_parquet`) or a
quoted path (`FROM 'file.parquet'`), including files the engine allows because the
store needs them (DuckLake's data and catalog). So: one statement; an EXPLAIN only of a
query; a query that serialises as a SELECT; no table function but the few that make
rows out of nothing or describe the database; no table named like a file.
"""

from __future__ import annotations

import json
import re

import duckdb

from pipeline.store.duck import scalar


class Refused(Exception):
    """A statement `newsmon sql` will not run, and why."""


# Table functions that read nothing outside the database: they make rows from their
# arguments, or describe the database itself.
_ROW_MAKERS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree",
                         "repeat", "repeat_row"})
_DESCRIBERS = re.compile(r"^(duckdb_(?!secrets)\w+|pragma_\w+)$")
_FILE_LIKE = re.compile(r"[/\\.:*?]")
# Scalar functions that reach outside the query: the environment, or a statement of
# their own.
_REACHING = frozenset({"getenv", "json_execute_serialized_sql"})


def check(statement: str) -> None:
    """Raise Refused unless `statement` is one read-only query of the database."""
    parser = duckdb.connect()
    try:
        try:
            statements = parser.extract_statements(statement)
        except duckdb.Error as error:
            raise Refused(str(error).strip()) from None
        if len(statements) != 1:
            raise Refused(f"one statement at a time, please ({len(statements)} given)")
        _check_one(parser, statement, statements[0])
    finally:
        parser.close()


def _check_one(parser: duckdb.DuckDBPyConnection, text: str, statement) -> None:
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner = _explained(parser, text)
        return _check_one(parser, inner.query, inner)
    if statement.type != duckdb.StatementType.SELECT:
        raise Refused(f"only queries are allowed here, not {statement.type.name}")
    tree = json.loads(scalar(parser, "SELECT json_serialize_sql($q)", {"q": text}))
    if tree.get("error"):
        raise Refused("only queries are allowed here (SELECT, FROM, WITH, VALUES, DESCRIBE, "
                      "SUMMARIZE, EXPLAIN of a query)")
    _check_tree(tree)


def _explained(parser: duckdb.DuckDBPyConnection, text: str):
    """The statement an `EXPLAIN [ANALYZE] ...` explains (and, with ANALYZE, runs)."""
    tokens = duckdb.tokenize(text)
    start = 1
    if len(tokens) > 1 and text[tokens[1][0]:].upper().startswith("ANALYZE"):
        start = 2
    inner = text[tokens[start][0]:] if len(tokens) > start else ""
    try:
        found = parser.extract_statements(inner)
    except duckdb.Error:
        found = []
    if len(found) != 1:
        raise Refused("EXPLAIN [ANALYZE] takes one query here")
    return found[0]


def _check_tree(node) -> None:
    if isinstance(node, list):
        for item in node:
            _check_tree(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "TABLE_FUNCTION":
        name = (node.get("function") or {}).get("function_name", "")
        if name not in _ROW_MAKERS and not _DESCRIBERS.match(name):
            raise Refused(f"{name}() reads outside the database: `newsmon sql` queries the log "
                          "and its views only")
    if node.get("class") == "FUNCTION" and node.get("function_name") in _REACHING:
        raise Refused(f"{node['function_name']}() is not available in `newsmon sql`")
    if node.get("type") == "BASE_TABLE" and _FILE_LIKE.search(node.get("table_name") or ""):
        raise Refused(f"{node['table_name']!r} names a file: `newsmon sql` queries the log "
                      "and its views only")
    for value in node.values():
        _check_tree(value)
