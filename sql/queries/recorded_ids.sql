-- recorded_ids: the event ids of the registered Arrow batch `batch` that the log holds
-- already (an append skips them).
-- columns: event_id
SELECT e.event_id FROM events AS e SEMI JOIN batch AS b ON e.event_id = b.event_id;
