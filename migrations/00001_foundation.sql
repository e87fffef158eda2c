-- +goose Up
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE user_groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    parent     bigint REFERENCES user_groups (id),
    admin      smallint NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_groups_parent ON user_groups (parent);
CREATE UNIQUE INDEX user_groups_root_name ON user_groups (name) WHERE parent IS NULL;

-- Languages with a NULL user_group are built in and visible to every tenant.
CREATE TABLE languages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group bigint REFERENCES user_groups (id),
    name       text NOT NULL,
    language   text NOT NULL,
    locale     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO languages (name, language, locale) VALUES
    ('English', 'en', 'en_GB'), ('Deutsch', 'de', 'de_DE'), ('Nederlands', 'nl', 'nl_NL');

CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group      bigint NOT NULL REFERENCES user_groups (id),
    username        text NOT NULL,
    email           text NOT NULL,
    language        bigint REFERENCES languages (id),
    password_hash   text,
    email_confirmed smallint NOT NULL DEFAULT 0,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Refresh tokens are stored hashed; a family is one login's chain of rotations.
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family     text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- Single-use tokens mailed to users (activation, password reset), stored hashed.
CREATE TABLE user_tokens (
    token_hash text PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('activate', 'reset')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE login_failures (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key       text NOT NULL,
    failed_at timestamptz NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);

-- Messages to send. Written in the transaction of the change that caused them
-- and delivered by the notifications worker.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group      bigint REFERENCES user_groups (id),
    kind            text NOT NULL,
    to_address      text NOT NULL,
    subject         text NOT NULL,
    body_text       text NOT NULL,
    body_html       text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE outbox;
DROP TABLE login_failures;
DROP TABLE user_tokens;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE languages;
DROP TABLE user_groups;
DROP TABLE settings;
