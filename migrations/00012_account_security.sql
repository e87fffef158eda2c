-- +goose Up
-- Account security (issue 9, findings 6-8).
--
-- A user's token generation is written into every access and refresh token
-- it is given; a password change or reset and disabling the user raise it,
-- so that every token issued before stops working at once (the access
-- token is checked on each request, with the user row that is read anyway).
ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0;
ALTER TABLE refresh_tokens ADD COLUMN generation integer NOT NULL DEFAULT 0;

-- A login attempt is counted before its password is checked (pending), so
-- that attempts arriving together cannot all be checked; a wrong password
-- makes it an ordinary failure, a right one deletes it. A success forgives
-- the username's failures from its own client address only, so that a
-- user's login does not give guessers elsewhere a fresh allowance.
ALTER TABLE login_failures ADD COLUMN pending boolean NOT NULL DEFAULT false;
ALTER TABLE login_failures ADD COLUMN client text;

-- Every call of POST /auth/password/forgot, known address or not: the
-- answer waits only for this row, and the emails are written afterwards.
-- The rows are also the per-client and per-address limits, so they hold
-- across replicas.
CREATE TABLE password_reset_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL, -- lower case
    client       text NOT NULL,
    requested_at timestamptz NOT NULL,
    processed_at timestamptz,
    mailed       boolean NOT NULL DEFAULT false
);
CREATE INDEX password_reset_requests_client ON password_reset_requests (client, requested_at);
CREATE INDEX password_reset_requests_email ON password_reset_requests (email, requested_at);
CREATE INDEX password_reset_requests_pending ON password_reset_requests (id) WHERE processed_at IS NULL;

-- +goose Down
DROP TABLE password_reset_requests;
ALTER TABLE login_failures DROP COLUMN client;
ALTER TABLE login_failures DROP COLUMN pending;
ALTER TABLE refresh_tokens DROP COLUMN generation;
ALTER TABLE users DROP COLUMN token_generation;
