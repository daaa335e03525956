-- events: the append-only log, one row per fact; rows are never updated or deleted.
-- columns:
--   seq            global order of recording (increasing, assigned by the committer)
--   event_id       hash of the event's natural key; unique: an append skips the ids already
--                  recorded (sql/queries/append_events.sql), so every append is idempotent
--   type           FeedPolled, ArticleDiscovered, ... (see pipeline/core/events.py)
--   stream         what the fact is about: feed:<id>, article:<id>, alert:<id>
--   occurred_at    when the worker observed it
--   recorded_at    when the committer appended it
--   run_id         the run that recorded it (a CLI run or an Airflow DAG run)
--   schema_version version of the payload's shape
--   payload        the facts, as JSON
--   feed_id, article_id, topic   lifted out of the payload: trend queries filter on them
CREATE TABLE IF NOT EXISTS events (
    seq            BIGINT NOT NULL,
    event_id       VARCHAR NOT NULL,
    type           VARCHAR NOT NULL,
    stream         VARCHAR NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR,
    schema_version INTEGER NOT NULL,
    payload        JSON NOT NULL,
    feed_id        VARCHAR,
    article_id     VARCHAR,
    topic          VARCHAR
);
