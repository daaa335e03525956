-- recorded_candidates: the seqs of the applied events whose key (event_keys) agrees with
-- an id the registered Arrow batch `batch` names: the events recorded_ids.sql compares
-- whole. (In one statement with that comparison, DuckDB read the whole log: 0.6 s.)
-- columns: seq
SELECT k.seq FROM event_keys AS k
WHERE k.hi IN (SELECT md5_number_upper(event_id) FROM batch
               UNION ALL SELECT md5_number_upper(follows) FROM batch WHERE follows IS NOT NULL);
