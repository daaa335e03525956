-- recorded_ids: the ids the registered Arrow batch `batch` names (as its events' ids, or
-- the ids they follow) that the log holds already: an append skips those events, and
-- the events that follow them.
-- columns: event_id
SELECT e.event_id FROM events AS e
SEMI JOIN batch AS b ON e.event_id = b.event_id OR e.event_id = b.follows;
