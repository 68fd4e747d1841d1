-- What the console pages need beyond the ledger: sign-in sessions, each user's time zone, alert recipients.
-- +goose Up
-- Server-side sessions: the cookie carries a random id, the table keeps its hash.
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES users,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    flash        text -- a message for the next page shown, after a redirect
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

-- Who receives resource alerts besides the owner (SPEC section 6.7).
CREATE TABLE alert_recipients (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts,
    name       text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    email      text NOT NULL CHECK (email LIKE '%_@_%' AND length(email) <= 254),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alert_recipients_email ON alert_recipients (account_id, lower(email));

-- +goose Down
SELECT 'down migrations are not supported';
