-- People and access (SPEC section 7): sub-account product scopes, support views, sign-in throttling, password changes.
-- +goose Up
-- The products a sub-account with a chosen scope may see (all_products = false).
CREATE TABLE user_products (
    user_id    bigint NOT NULL REFERENCES users,
    product_id bigint NOT NULL REFERENCES products,
    PRIMARY KEY (user_id, product_id)
);

-- The account a support user is reading in this session.
ALTER TABLE sessions ADD COLUMN support_account_id bigint REFERENCES accounts;

ALTER TABLE users ADD COLUMN password_changed_at timestamptz;

-- Failed sign-ins, to slow down guessing per e-mail and per client address.
CREATE TABLE sign_in_failures (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email     text NOT NULL,
    client_ip text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (lower(email), at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (client_ip, at);

CREATE INDEX audit_log_user ON audit_log (account_id, actor, at DESC, id DESC);
CREATE INDEX audit_log_type ON audit_log (account_id, type, at DESC, id DESC);

-- +goose Down
SELECT 'down migrations are not supported';
