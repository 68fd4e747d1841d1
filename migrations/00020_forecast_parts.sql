-- Issue 14, the forecast at a million devices: each product's share of the
-- overview's forecast (docs/renewal.md, "The forecast"), kept for the day it
-- was made and shared by every console instance, so that a forecast reads a
-- row per product instead of every product's days of the counters. A part is
-- made again when what it rests on changes: the product's codes, switch or
-- package (compared with the columns here), the rows appended to its
-- counters since they were last folded (fresh: their number then; folding
-- deletes the parts of the products it folds), its blacklist (changing it
-- deletes the part).
-- +goose Up
CREATE TABLE forecast_parts (
    account_id  bigint NOT NULL,
    dc          text NOT NULL,
    product_id  bigint PRIMARY KEY,
    start       date NOT NULL,     -- the forecast's first day
    available   bigint NOT NULL,   -- the product's figures the part was made from
    auto_renew  boolean NOT NULL,
    validity    integer NOT NULL,
    fresh       bigint NOT NULL,   -- its counter rows not yet folded, then
    first_codes bigint NOT NULL,
    runs_out    integer NOT NULL,  -- the day its codes run out; -1: beyond the horizon
    weeks       bigint[] NOT NULL  -- per week: will renew, won't renew, new (the codes left and short follow)
);

-- +goose Down
SELECT 'down migrations are not supported';
