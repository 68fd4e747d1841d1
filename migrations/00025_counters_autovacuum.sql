-- The counters the pages and charts read (expiry_counts, expiry_hour_counts,
-- expiry_window_sums, consumption_days) are rewritten all day: every device
-- change appends rows, and the renewal worker's fold, every minute, deletes
-- them into one row per key and remakes the window sums. Under PostgreSQL's
-- default (vacuum once a fifth of a table is dead) their dead rows pile up:
-- 282,760 dead beside 318,839 live rows of expiry_counts and five dead
-- window sums for each live one after the bench's connect and renewal
-- phases. The primary skips them cheaply (an index entry found dead is
-- marked so), but a standby cannot mark entries and goes to the heap for
-- every one: the near-expiry chart read on a standby took 10 ms instead of
-- 3 ms until a VACUUM, then the same as on the primary. Vacuumed once a
-- thousand rows (or 2 %) are dead, each costs milliseconds.
-- +goose Up
ALTER TABLE expiry_counts SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE expiry_hour_counts SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE expiry_window_sums SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
ALTER TABLE consumption_days SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);

-- +goose Down
SELECT 'down migrations are not supported';
