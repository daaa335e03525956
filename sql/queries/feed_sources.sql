-- feed_sources: what was recorded last about each feed's outlet (FeedConfigured).
-- parameters: none
-- columns: feed_id, event_id, name, country, language, kind
SELECT feed_id, event_id, name, country, language, kind FROM feed_source;
