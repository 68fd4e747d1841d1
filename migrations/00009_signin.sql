-- Issue 11, one identity per e-mail: users' e-mails in the form sign-in looks them up by (store.NormalizeEmail: trimmed, lowercase; non-ASCII addresses keep lower()'s form, still matched by lower(email)), and e-mails bounded in length as the sign-in code bounds them.
-- +goose Up
UPDATE users SET email = lower(btrim(email)) WHERE email <> lower(btrim(email));
-- NOT VALID: no existing row is checked, so an old over-long address cannot stop the upgrade; every new or changed row is.
ALTER TABLE users ADD CONSTRAINT users_email_length CHECK (length(email) <= 254) NOT VALID;
ALTER TABLE sign_in_failures ADD CONSTRAINT sign_in_failures_email_length CHECK (length(email) <= 254) NOT VALID;

-- +goose Down
SELECT 'down migrations are not supported';
