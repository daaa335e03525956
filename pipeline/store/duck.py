"""Small helpers on DuckDB connections, shared by the store's modules."""

from __future__ import annotations

from typing import Any

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: Any = None) -> Any:
    """The one value a query gives (None when it gives no row)."""
    row = con.execute(query, params or {}).fetchone()
    return row[0] if row else None


def roll_back(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:  # a failed COMMIT has already ended the transaction
        pass


def literal(text: str) -> str:
    """`text` as an SQL string constant, for the statements that must carry a value in
    their text (ATTACH's options; a constant DuckDB folds where a parameter is not)."""
    return "'" + text.replace("'", "''") + "'"
