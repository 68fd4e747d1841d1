-- Issue 6, a million devices: devices by expiry day and codes by consumption day, kept by triggers, so the near-expiry figures, renewal outlooks and runways add up a month of days instead of counting rows; and the indexes of the account-wide DK search and the product list.
-- +goose Up

-- The live devices (not lapsed, not deleted, with a code) whose code expires
-- on day (UTC): per product, and per account and data center in the rows
-- with product_id = 0. Every statement that changes devices appends its
-- change, one row per key, without locking anything; the renewal worker
-- folds the rows of each key into one (compacted). A key's count is the sum
-- of its rows.
CREATE TABLE expiry_counts (
    account_id bigint NOT NULL,
    dc         text NOT NULL,
    product_id bigint NOT NULL,
    day        date NOT NULL,
    devices    bigint NOT NULL,
    compacted  boolean NOT NULL DEFAULT false
);
CREATE INDEX expiry_counts_account ON expiry_counts (account_id, dc, day) INCLUDE (devices) WHERE product_id = 0;
CREATE INDEX expiry_counts_product ON expiry_counts (product_id, day) INCLUDE (devices);
-- The rows appended since the last compaction.
CREATE INDEX expiry_counts_fresh ON expiry_counts (product_id, day) WHERE NOT compacted;

-- +goose StatementBegin
CREATE FUNCTION devices_expiry_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO expiry_counts (account_id, dc, product_id, day, devices)
        SELECT account_id, dc, coalesce(product_id, 0), day, sum(n) FROM (
            SELECT account_id, dc, product_id, (expires_at AT TIME ZONE 'UTC')::date AS day, 1 AS n FROM new_rows
            WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL) x
        GROUP BY GROUPING SETS ((account_id, dc, product_id, day), (account_id, dc, day)) HAVING sum(n) <> 0;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO expiry_counts (account_id, dc, product_id, day, devices)
        SELECT account_id, dc, coalesce(product_id, 0), day, sum(n) FROM (
            SELECT account_id, dc, product_id, (expires_at AT TIME ZONE 'UTC')::date AS day, 1 AS n FROM new_rows
            WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL
            UNION ALL
            SELECT account_id, dc, product_id, (expires_at AT TIME ZONE 'UTC')::date, -1 FROM old_rows
            WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL) x
        GROUP BY GROUPING SETS ((account_id, dc, product_id, day), (account_id, dc, day)) HAVING sum(n) <> 0;
    ELSE
        INSERT INTO expiry_counts (account_id, dc, product_id, day, devices)
        SELECT account_id, dc, coalesce(product_id, 0), day, -sum(n) FROM (
            SELECT account_id, dc, product_id, (expires_at AT TIME ZONE 'UTC')::date AS day, 1 AS n FROM old_rows
            WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL) x
        GROUP BY GROUPING SETS ((account_id, dc, product_id, day), (account_id, dc, day)) HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER devices_expiry_counts_insert AFTER INSERT ON devices REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION devices_expiry_counts();
CREATE TRIGGER devices_expiry_counts_update AFTER UPDATE ON devices REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION devices_expiry_counts();
CREATE TRIGGER devices_expiry_counts_delete AFTER DELETE ON devices REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION devices_expiry_counts();

-- The devices there are already.
INSERT INTO expiry_counts (account_id, dc, product_id, day, devices, compacted)
SELECT account_id, dc, coalesce(product_id, 0), (expires_at AT TIME ZONE 'UTC')::date, count(*), true FROM devices
WHERE expires_at IS NOT NULL AND lapsed_at IS NULL AND deleted_at IS NULL
GROUP BY GROUPING SETS ((account_id, dc, product_id, (expires_at AT TIME ZONE 'UTC')::date), (account_id, dc, (expires_at AT TIME ZONE 'UTC')::date));

-- A DeviceKey searched in the near-expiry list of a whole account: one range,
-- not one per product.
CREATE INDEX devices_account_key ON devices (account_id, dc, (lower(device_key) COLLATE "C")) INCLUDE (product_id)
    WHERE lapsed_at IS NULL AND deleted_at IS NULL;

-- The product list in name order, one page a range (keyset pagination).
CREATE INDEX products_account_name ON products (account_id, dc, name, id) WHERE deleted_at IS NULL;

-- Codes consumed per product and day (UTC), for the runway of the product
-- list: thirty rows a product instead of a month of activations. Appended
-- by every statement that inserts activations, compacted like expiry_counts.
CREATE TABLE consumption_days (
    product_id bigint NOT NULL,
    day        date NOT NULL,
    codes      bigint NOT NULL,
    compacted  boolean NOT NULL DEFAULT false
);
CREATE INDEX consumption_days_product ON consumption_days (product_id, day) INCLUDE (codes);
CREATE INDEX consumption_days_fresh ON consumption_days (product_id, day) WHERE NOT compacted;

-- +goose StatementBegin
CREATE FUNCTION activations_consumption_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO consumption_days (product_id, day, codes)
    SELECT product_id, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM new_rows GROUP BY 1, 2;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER activations_consumption_days AFTER INSERT ON activations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activations_consumption_days();

INSERT INTO consumption_days (product_id, day, codes, compacted)
SELECT product_id, (created_at AT TIME ZONE 'UTC')::date, count(*), true FROM activations GROUP BY 1, 2;

-- Statistics for the new tables, so that the first reads are planned well.
ANALYZE expiry_counts;
ANALYZE consumption_days;

-- +goose Down
SELECT 'down migrations are not supported';
