"""What the DAGs' tasks call (I/O): Airflow's task context, Variables and Connections
in, one call into `orchestrate.py`. Imported inside task bodies only, so DAG files
parse fast and without touching anything.

Settings are read when the task runs: the environment (`NEWSMON_*`), then Airflow
Variables `newsmon_db`, `newsmon_feeds`, `newsmon_topics`, `newsmon_alerts`,
`newsmon_staging`, `newsmon_allow_hosts`, `newsmon_offline`, `newsmon_workers`. Mail goes
through the Airflow connection named by `newsmon_smtp_conn_id` (default `smtp_default`),
or `NEWSMON_SMTP_URL` when there is no such connection.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from airflow.sdk import Connection, Variable, get_current_context
from airflow.sdk.exceptions import AirflowSkipException

from pipeline.runs import batches as orchestrate
from pipeline.core.settings import Settings, db_location, from_env, parse_allow_hosts

_PATHS = ("feeds", "topics", "alerts", "sites", "staging")


def _variable(name: str) -> str | None:
    return Variable.get(f"newsmon_{name}", default=None) or None


def settings() -> Settings:
    s = from_env()
    changes: dict = {name: Path(v) for name in _PATHS if (v := _variable(name))}
    if db := _variable("db"):
        changes["db"] = db_location(db)  # a file, or a DuckLake catalog
    if lake_data := _variable("lake_data"):
        changes["lake_data"] = lake_data
    if allow := _variable("allow_hosts"):
        changes["allow_hosts"] = parse_allow_hosts(allow)
    if offline := _variable("offline"):
        changes["offline"] = offline.lower() in ("1", "true", "yes")
    if workers := _variable("workers"):
        changes["workers"] = int(workers)
    smtp = _smtp_url(_variable("smtp_conn_id") or "smtp_default")
    if smtp:
        changes["smtp_url"] = smtp
    return s.with_(**changes)


def _smtp_url(conn_id: str) -> str | None:
    """The connection as a NEWSMON_SMTP_URL; the SMTP provider's `disable_ssl` and
    `disable_tls` extras choose between TLS from the start, STARTTLS and none."""
    try:
        conn = Connection.get(conn_id)
    except Exception:  # no such connection: NEWSMON_SMTP_URL, if any, stands
        return None
    extra = conn.extra_dejson or {}
    if not _flag(extra.get("disable_ssl")):
        scheme, query = "smtps", ""
    else:
        scheme, query = "smtp", "" if not _flag(extra.get("disable_tls")) else "?tls=none"
    auth = f"{quote(conn.login, safe='')}:{quote(conn.password or '', safe='')}@" if conn.login else ""
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{auth}{conn.host}{port}{query}"


def _flag(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _run() -> tuple[str, int]:
    context = get_current_context()
    return context["run_id"], context["ti"].map_index


def plan_polls() -> list[list[dict]]:
    return orchestrate.plan_poll_batches(settings())


def poll(batch: list[dict]) -> dict:
    s, (run_id, index) = settings(), _run()
    return orchestrate.poll_batch(batch, s, orchestrate.stage_path(s, run_id, f"poll-{index}"),
                                  run_id)


def plan_articles() -> list[list[dict]]:
    return orchestrate.plan_article_batches(settings())


def process(batch: list[dict]) -> dict:
    s, (run_id, index) = settings(), _run()
    return orchestrate.process_batch(
        batch, s, orchestrate.stage_path(s, run_id, f"process-{index}"), run_id)


def commit(handed) -> dict:
    run_id, _ = _run()
    return orchestrate.commit_staged(list(handed or []), settings(), run_id)


def cluster() -> dict:
    return orchestrate.cluster_new(settings(), _run()[0])


def announce(committed: dict) -> dict:
    """Succeeds, and so updates the new-matches Asset, only when matches were committed."""
    if not committed.get("matches"):
        raise AirflowSkipException("no new matches")
    return committed["matches"]


def alerts() -> dict:
    return orchestrate.send_alerts(settings(), _run()[0])


def retag() -> dict:
    return orchestrate.retag_stored(settings(), _run()[0])


def maintain() -> dict:
    return orchestrate.maintain(settings())
