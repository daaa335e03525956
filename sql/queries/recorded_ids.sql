-- recorded_ids: the ids the registered Arrow batch `batch` names (as its events' ids, or
-- the ids they follow) that the log holds already: an append skips those events, and
-- the events that follow them. Two parts, each one scan: the ids the read models have
-- applied, through event_keys (first the seqs whose key agrees, in the temporary table
-- `candidates`, made by recorded_candidates.sql; then the events of those seqs, compared
-- whole); and the ids of the log's tail beyond them (appended earlier in this
-- transaction, or by a writer that did not apply them).
-- columns: event_id
WITH wanted AS (SELECT event_id FROM batch UNION ALL SELECT follows FROM batch)
SELECT e.event_id FROM events AS e
WHERE e.seq IN (SELECT seq FROM candidates) AND e.event_id IN (SELECT event_id FROM wanted)
UNION
SELECT e.event_id FROM events AS e
WHERE e.seq > (SELECT applied_seq FROM newsmon_projections)
  AND e.event_id IN (SELECT event_id FROM wanted);
