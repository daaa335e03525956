"""What the DAGs' tasks call (I/O): Airflow's task context, Variables and Connections
in, one call into `batches.py`. Imported inside task bodies only, so DAG files
parse fast and without touching anything.

Settings are read when the task runs: the environment (`NEWSMON_*`), then the Airflow
Variable `newsmon_<setting>` of any setting (`newsmon_db`, `newsmon_feeds`,
`newsmon_allow_hosts`, `newsmon_workers`...), checked by the one model. Mail goes
through the Airflow connection named by `newsmon_smtp_conn_id` (default `smtp_default`),
or `NEWSMON_SMTP_URL` when there is no such connection.
"""

from __future__ import annotations

from urllib.parse import quote

from airflow.sdk import Connection, Variable, get_current_context
from airflow.sdk.exceptions import AirflowSkipException

from pipeline.core.settings import Settings, from_env, truthy, validated
from pipeline.runs import batches


def settings() -> Settings:
    """The environment's settings (NEWSMON_*), with what Airflow Variables named
    newsmon_<setting> say over them, checked by the same model: a bad Variable is the
    same error as a bad environment variable, naming the Variable."""
    values = dict(from_env())
    for field in Settings.model_fields:
        if raw := Variable.get(f"newsmon_{field}", default=None):
            values[field] = raw
    smtp = _smtp_url(Variable.get("newsmon_smtp_conn_id", default=None) or "smtp_default")
    if smtp:
        values["smtp_url"] = smtp
    return validated(values, "Airflow Variables and the environment",
                     lambda field: f"newsmon_{field} (or NEWSMON_{field.upper()})")


def _smtp_url(conn_id: str) -> str | None:
    """The connection as a NEWSMON_SMTP_URL; the SMTP provider's `disable_ssl` and
    `disable_tls` extras choose between TLS from the start, STARTTLS and none."""
    try:
        conn = Connection.get(conn_id)
    except Exception:  # no such connection: NEWSMON_SMTP_URL, if any, stands
        return None
    extra = conn.extra_dejson or {}
    if not truthy(extra.get("disable_ssl")):
        scheme, query = "smtps", ""
    else:
        scheme, query = "smtp", "" if not truthy(extra.get("disable_tls")) else "?tls=none"
    auth = f"{quote(conn.login, safe='')}:{quote(conn.password or '', safe='')}@" if conn.login else ""
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{auth}{conn.host}{port}{query}"


def _run() -> tuple[str, int | None]:
    context = get_current_context()
    return context["run_id"], context["ti"].map_index


def plan_polls() -> list[list[dict]]:
    return batches.plan_poll_batches(settings())


def poll(batch: list[dict]) -> dict:
    s, (run_id, index) = settings(), _run()
    return batches.poll_batch(batch, s, batches.stage_path(s, run_id, f"poll-{index}"),
                                  run_id)


def plan_articles() -> list[list[dict]]:
    return batches.plan_article_batches(settings())


def process(batch: list[dict]) -> dict:
    s, (run_id, index) = settings(), _run()
    return batches.process_batch(
        batch, s, batches.stage_path(s, run_id, f"process-{index}"), run_id)


def commit(handed) -> dict:
    run_id, _ = _run()
    return batches.commit_staged(list(handed or []), settings(), run_id)


def cluster() -> dict:
    return batches.cluster_new(settings(), _run()[0])


def recheck() -> dict:
    return batches.recheck_matched(settings(), _run()[0])


def announce(committed: dict) -> dict:
    """Succeeds, and so updates the new-matches Asset, only when matches were committed."""
    if not committed.get("matches"):
        raise AirflowSkipException("no new matches")
    return committed["matches"]


def alerts() -> dict:
    return batches.send_alerts(settings(), _run()[0])


def retag() -> dict:
    return batches.retag_stored(settings(), _run()[0])


def maintain() -> dict:
    return batches.maintain(settings())
