-- apply_11_ids: every new event's id into event_keys (see tables.sql).
INSERT INTO event_keys SELECT md5_number_upper(event_id), seq FROM new_events;
