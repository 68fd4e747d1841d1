-- Issue 14, the product page's consumption history: consumption_days also
-- counts, per product and day (UTC), the codes consumed by first activations
-- (activations.kind 'first'), so that a month of first activations and of
-- renewals ('renewal' and 'manual': codes - first_codes) is about thirty
-- day-rows, like the runway.
-- +goose Up

-- No activation is written while the counts are recomputed: the recount
-- below then sees every activation the trigger will not.
LOCK TABLE activations IN SHARE MODE;

ALTER TABLE consumption_days ADD COLUMN first_codes bigint NOT NULL DEFAULT 0;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION activations_consumption_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO consumption_days (product_id, day, codes, first_codes)
    SELECT product_id, (created_at AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE kind = 'first')
    FROM new_rows GROUP BY 1, 2;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- The rows there are already: recounted from the activations, one
-- (compacted) row per product and day.
DELETE FROM consumption_days;
INSERT INTO consumption_days (product_id, day, codes, first_codes, compacted)
SELECT product_id, (created_at AT TIME ZONE 'UTC')::date, count(*), count(*) FILTER (WHERE kind = 'first'), true
FROM activations GROUP BY 1, 2;

ALTER TABLE consumption_days ADD CHECK (first_codes >= 0 AND first_codes <= codes);

ANALYZE consumption_days;

-- +goose Down
SELECT 'down migrations are not supported';
