-- recorded_ids: the ids the registered Arrow batch `batch` names (as its events' ids, or
-- the ids they follow) that the log holds already: an append skips those events, and
-- the events that follow them. (One scan of the log: an OR of the two in the join
-- condition made DuckDB compare every pair, 20 times slower.)
-- columns: event_id
SELECT e.event_id FROM events AS e
WHERE e.event_id IN (SELECT event_id FROM batch UNION ALL SELECT follows FROM batch);
