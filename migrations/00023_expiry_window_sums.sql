-- Issue 14, the near-expiry chart at a million devices (store/near_expiry_chart.go):
-- the screen of products that may be at risk needs, per product, its live
-- devices whose codes expire up to the window's last day. Summed from the
-- counters on every request that is one range of 21,088 counter rows for
-- the bench's large account (5 ms). Kept here instead: per account and data
-- center, per product, the folded counter rows (expiry_counts.compacted) up
-- to the day `through`, so that a request adds only the rows appended since
-- the last fold. Only the fold writes folded rows, and it rewrites the sums
-- of the accounts it folded in the same transaction (keepWindowSums), so a
-- request's snapshot sees sums and folded rows that agree. The row with
-- product_id 0 marks an account's sums as made for `through` (its devices
-- 0); after 00:00 UTC the window's last day moves on
-- and a request counts from the counters until the next fold makes them again.
-- +goose Up
CREATE TABLE expiry_window_sums (
    account_id bigint NOT NULL,
    dc         text NOT NULL,
    product_id bigint NOT NULL,  -- 0: the mark that the account's sums are made (devices 0)
    through    date NOT NULL,    -- the window's last day (UTC) the sums are made for
    devices    bigint NOT NULL,  -- the folded rows of expiry_counts up to through
    PRIMARY KEY (account_id, dc, product_id)
);

-- The rows appended to an account's product counters since the last fold, in
-- one range (expiry_counts_fresh is by product).
CREATE INDEX expiry_counts_account_fresh ON expiry_counts (account_id, dc, day) INCLUDE (product_id, devices)
    WHERE NOT compacted AND product_id <> 0;

-- +goose Down
SELECT 'down migrations are not supported';
