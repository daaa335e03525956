-- events: the latest events of the log, optionally of one type and/or one stream.
-- parameters: $type (or NULL), $stream (or NULL), $limit
-- columns: seq, recorded_at, type, stream, run_id, payload
SELECT seq, recorded_at, type, stream, run_id, CAST(payload AS VARCHAR) AS payload
FROM events
WHERE ($type IS NULL OR type = $type)
  AND ($stream IS NULL OR stream = $stream)
ORDER BY seq DESC
LIMIT $limit;
