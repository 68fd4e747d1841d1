-- Issue 13: the console speaks English and Simplified Chinese. A person's
-- language is their own choice (NULL: not chosen yet, the browser's
-- Accept-Language decides); an alert recipient's is the language of the
-- mail they get.
-- +goose Up
ALTER TABLE users ADD COLUMN language text CHECK (language IN ('en', 'zh-CN'));
ALTER TABLE alert_recipients ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh-CN'));

-- +goose Down
SELECT 'down migrations are not supported';
