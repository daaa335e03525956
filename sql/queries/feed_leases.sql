-- feed_leases: the feeds a WebSub hub pushes to us until a moment after $now.
-- parameters: $now (TIMESTAMPTZ)
-- columns: feed_id, hub, lease_until
SELECT feed_id, hub, lease_until FROM feed_lease WHERE lease_until > $now;
