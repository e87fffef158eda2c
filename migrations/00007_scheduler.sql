-- +goose Up
-- Leases of the periodic-job scheduler (see engine/schedule). The replica
-- named in owner runs the scheduled jobs until expires_at, which it keeps
-- pushing forward while it lives; times are the database's own now().
CREATE TABLE scheduler_leases (
    name       text PRIMARY KEY,
    owner      text NOT NULL,
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE scheduler_leases;
