-- +goose Up
-- Alert groups say who hears about an observer's alerts and when: schedule is
-- 'immediate' or a 5-field cron expression for a digest, read in time_zone.
-- last_digest_at is the cron time of the last digest built, so that digests
-- survive restarts and run once across replicas.
CREATE TABLE alert_groups (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group     bigint NOT NULL REFERENCES user_groups (id),
    name           text NOT NULL,
    schedule       text NOT NULL DEFAULT 'immediate',
    time_zone      text NOT NULL DEFAULT 'UTC',
    last_digest_at timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_groups_user_group ON alert_groups (user_group);
CREATE INDEX alert_groups_digest ON alert_groups (id) WHERE schedule <> 'immediate';

CREATE TABLE alert_recipients (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group  bigint NOT NULL REFERENCES user_groups (id),
    name        text NOT NULL,
    email       text NOT NULL,
    language    bigint REFERENCES languages (id),
    alert_group bigint NOT NULL REFERENCES alert_groups (id) ON DELETE CASCADE,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_recipients_alert_group ON alert_recipients (alert_group) WHERE active;
CREATE INDEX alert_recipients_user_group ON alert_recipients (user_group);

-- A tenant's own text for one key of the built-in email texts (see
-- notify/texts), in one language.
CREATE TABLE translations (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group bigint NOT NULL REFERENCES user_groups (id),
    key        text NOT NULL,
    language   bigint NOT NULL REFERENCES languages (id) ON DELETE CASCADE,
    value      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX translations_key ON translations (user_group, language, key);

-- Alert changes waiting for their group's next digest. They are consumed
-- (deleted) in the transaction that queues the digest emails.
CREATE TABLE digest_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_group bigint NOT NULL REFERENCES alert_groups (id) ON DELETE CASCADE,
    user_group  bigint NOT NULL REFERENCES user_groups (id),
    event       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX digest_items_alert_group ON digest_items (alert_group, id);

-- Delivery bookkeeping. A worker leases a row (claimed_until, claimed_by)
-- instead of holding a transaction open while it talks to the SMTP server.
ALTER TABLE outbox
    ADD COLUMN alert         bigint,
    ADD COLUMN claimed_until timestamptz,
    ADD COLUMN claimed_by    text;
CREATE INDEX outbox_user_group ON outbox (user_group, id);

-- +goose Down
ALTER TABLE outbox DROP COLUMN claimed_by, DROP COLUMN claimed_until, DROP COLUMN alert;
DROP INDEX IF EXISTS outbox_user_group;
DROP TABLE digest_items;
DROP TABLE translations;
DROP TABLE alert_recipients;
DROP TABLE alert_groups;
