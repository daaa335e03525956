-- sources: every feed the feeds file has described (FeedConfigured, the latest), with its
-- outlet's country (ISO code), language and kind (national, regional, wire,
-- state-owned, international), and its health as the feeds view has it.
-- columns: feed_id, name, country, language, kind, configured_at, state (ok, failing,
--          retired, or not polled), last_success_at, articles_7d, usual_7d
CREATE OR REPLACE VIEW sources AS
SELECT s.feed_id, s.name, s.country, s.language, s.kind, s.configured_at,
       coalesce(f.state, 'not polled') AS state, f.last_success_at,
       coalesce(f.articles_7d, 0) AS articles_7d, coalesce(f.usual_7d, 0) AS usual_7d
FROM feed_source AS s
LEFT JOIN feeds AS f USING (feed_id);
