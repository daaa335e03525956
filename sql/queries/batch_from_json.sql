-- batch_from_json: a batch of events given as one JSON array ($rows), with the columns
-- every batch has (pipeline/store/batch.py: COLUMNS, as the Arrow batch of arrow.py): a
-- small batch needs no pyarrow (Transaction.append).
-- parameters: $rows
SELECT unnest(from_json($rows, '[{"ord": "BIGINT", "event_id": "VARCHAR", "type": "VARCHAR",
                                  "stream": "VARCHAR", "occurred_at": "TIMESTAMPTZ",
                                  "schema_version": "INTEGER", "payload": "VARCHAR",
                                  "feed_id": "VARCHAR", "article_id": "VARCHAR",
                                  "topic": "VARCHAR", "follows": "VARCHAR"}]'), recursive := true)
