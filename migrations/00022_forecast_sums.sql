-- Issue 14, the forecast at a million devices: a scope's summed 26-week
-- forecast (docs/renewal.md, "The forecast"), so that the overview reads one
-- row, not a part per product (forecast_parts). A sum holds while the parts
-- it adds up would be the same: the same day, the same products with the
-- same codes, switches and packages (products: a digest of all of them), as many
-- rows appended to their counters since the last fold (fresh: they only
-- grow between folds), and no fold or blacklist change since (epoch: the
-- account's forecast_epochs.epoch, which they bump).
-- +goose Up
CREATE TABLE forecast_sums (
    account_id  bigint NOT NULL,
    dc          text NOT NULL,
    scope       text NOT NULL,     -- '': every product of the account; else a digest of a member's products
    start       date NOT NULL,     -- the forecast's first day
    products    text NOT NULL,     -- hex SHA-256 of, per product in id order, "id,codes,validity in days,switch (1 on)" joined by ";"
    fresh       bigint NOT NULL,   -- their counter rows not yet folded, that the parts were made with
    epoch       bigint NOT NULL,   -- forecast_epochs.epoch of the account, then
    first_codes bigint NOT NULL,
    short       integer NOT NULL,  -- how many products' codes run out within the horizon
    runs_out    integer NOT NULL,  -- the first day one does; -1: none
    first_ids   bigint[] NOT NULL, -- the products that run out that day (which comes first by name is read with the names)
    weeks       bigint[] NOT NULL, -- per week: will renew, won't renew, new, left, short
    PRIMARY KEY (account_id, dc, scope)
);

-- Bumped by whatever changes a part without changing its product's figures
-- or adding to its counters: a fold of the counters, a blacklist change.
CREATE TABLE forecast_epochs (
    account_id bigint PRIMARY KEY,
    epoch      bigint NOT NULL
);

-- Parts of products deleted before their parts were deleted with them.
DELETE FROM forecast_parts f USING products p WHERE p.id = f.product_id AND p.deleted_at IS NOT NULL;

-- +goose Down
SELECT 'down migrations are not supported';
