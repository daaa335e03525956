-- feed_hubs: the WebSub hub each feed named at its latest poll that named one, the topic
-- to subscribe to, and the lease a hub confirmed last (if any).
-- parameters: none
-- columns: feed_id, hub, topic, lease_until
WITH named AS (
    SELECT feed_id, payload->>'hub' AS hub, payload->>'topic' AS topic
    FROM events WHERE type = 'FeedPolled' AND (payload->>'hub') IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY feed_id ORDER BY seq DESC) = 1
)
SELECT n.feed_id, n.hub, n.topic, l.lease_until
FROM named AS n
LEFT JOIN feed_lease AS l ON l.feed_id = n.feed_id AND l.hub = n.hub AND l.topic = n.topic;
