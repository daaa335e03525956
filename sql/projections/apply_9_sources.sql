-- apply_9_sources: the latest FeedConfigured of each feed into feed_source, its latest
-- FeedSubscribed into feed_lease.

CREATE OR REPLACE TEMP TABLE d_source AS
SELECT feed_id, event_id, seq, occurred_at AS configured_at, payload->>'name' AS name,
       payload->>'country' AS country, payload->>'language' AS language, payload->>'kind' AS kind
FROM new_events WHERE type = 'FeedConfigured'
QUALIFY row_number() OVER (PARTITION BY feed_id ORDER BY seq DESC) = 1;

-- when: EXISTS (SELECT 1 FROM d_source)
DELETE FROM feed_source WHERE feed_id IN (SELECT feed_id FROM d_source);

-- when: EXISTS (SELECT 1 FROM d_source)
INSERT INTO feed_source SELECT * FROM d_source;

CREATE OR REPLACE TEMP TABLE d_lease AS
SELECT feed_id, payload->>'hub' AS hub, payload->>'topic' AS topic,
       CAST(payload->>'lease_until' AS TIMESTAMPTZ) AS lease_until, occurred_at AS subscribed_at
FROM new_events WHERE type = 'FeedSubscribed'
QUALIFY row_number() OVER (PARTITION BY feed_id ORDER BY seq DESC) = 1;

-- when: EXISTS (SELECT 1 FROM d_lease)
DELETE FROM feed_lease WHERE feed_id IN (SELECT feed_id FROM d_lease);

-- when: EXISTS (SELECT 1 FROM d_lease)
INSERT INTO feed_lease SELECT * FROM d_lease;
