-- +goose Up
-- Machine events (the seed's "logs"). remote is the device's own id of the
-- event; (machine, remote) makes ingestion idempotent. resolved_by is the
-- event whose resolvedAt resolved this one; it is NULL on an event that
-- carried resolvedAt itself.
CREATE TABLE logs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group     bigint NOT NULL REFERENCES user_groups (id),
    machine        bigint NOT NULL REFERENCES machines (id),
    location       bigint NOT NULL REFERENCES locations (id),
    remote         bigint NOT NULL,
    code           text NOT NULL,
    error_identity bigint REFERENCES error_identities (id) ON DELETE SET NULL,
    type           bigint NOT NULL DEFAULT 0,
    is_resolvable  boolean NOT NULL DEFAULT false,
    occurred_at    timestamptz NOT NULL,
    time_zone      text NOT NULL,
    duration       bigint,
    extra_data     text,
    resolved_at    timestamptz,
    resolved_by    bigint REFERENCES logs (id) ON DELETE SET NULL,
    state          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX logs_machine_remote ON logs (machine, remote);
CREATE INDEX logs_machine_occurred_at ON logs (machine, occurred_at);
-- Open events, and the events that resolve others (see engine/ingest).
CREATE INDEX logs_open ON logs (machine, code, occurred_at) WHERE resolved_at IS NULL;
CREATE INDEX logs_resolvers ON logs (machine, code, occurred_at)
    WHERE resolved_at IS NOT NULL AND resolved_by IS NULL;
CREATE INDEX logs_user_group ON logs (user_group);

-- Sales. Money is integer cents.
CREATE TABLE revenue_transactions (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group               bigint NOT NULL REFERENCES user_groups (id),
    machine                  bigint NOT NULL REFERENCES machines (id),
    location                 bigint NOT NULL REFERENCES locations (id),
    remote                   bigint NOT NULL,
    product                  bigint,
    name                     text NOT NULL DEFAULT '',
    internal_ref             text NOT NULL DEFAULT '',
    occurred_at              timestamptz NOT NULL,
    time_zone                text NOT NULL,
    original_price           bigint NOT NULL DEFAULT 0,
    price                    bigint NOT NULL DEFAULT 0,
    barcode                  text,
    currency                 text NOT NULL,
    token                    text NOT NULL DEFAULT '',
    salestype                bigint NOT NULL DEFAULT 0,
    num_payment_transactions bigint NOT NULL DEFAULT 0,
    pricelist                bigint,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX revenue_transactions_machine_remote ON revenue_transactions (machine, remote);
CREATE INDEX revenue_transactions_machine_occurred_at ON revenue_transactions (machine, occurred_at);
CREATE INDEX revenue_transactions_user_group ON revenue_transactions (user_group);

CREATE TABLE payment_transactions (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group         bigint NOT NULL REFERENCES user_groups (id),
    revenuetransaction bigint NOT NULL REFERENCES revenue_transactions (id) ON DELETE CASCADE,
    machine            bigint NOT NULL REFERENCES machines (id),
    location           bigint NOT NULL REFERENCES locations (id),
    occurred_at        timestamptz NOT NULL,
    time_zone          text NOT NULL,
    method             text NOT NULL CHECK (method IN ('cash', 'card', 'code', 'virtual', 'token')),
    type               text NOT NULL DEFAULT '',
    price              bigint NOT NULL DEFAULT 0,
    currency           text NOT NULL,
    exclude            smallint NOT NULL DEFAULT 0 CHECK (exclude IN (0, 1)),
    report_group       bigint,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_transactions_revenuetransaction ON payment_transactions (revenuetransaction);
CREATE INDEX payment_transactions_machine_occurred_at ON payment_transactions (machine, occurred_at);

-- Alert observers. alert_group has no foreign key yet: the alert groups
-- table arrives with notifications.
CREATE TABLE alert_observers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group      bigint NOT NULL REFERENCES user_groups (id),
    name            text NOT NULL,
    type            text NOT NULL CHECK (type IN ('event', 'transaction')),
    observer        text NOT NULL CHECK (observer IN ('occurrence', 'non_occurrence', 'non_resolution')),
    timer           integer NOT NULL CHECK (timer > 0),
    timer_type      smallint NOT NULL CHECK (timer_type BETWEEN 1 AND 4),
    alert_group     bigint,
    error           bigint REFERENCES error_identities (id),
    occurs          integer NOT NULL DEFAULT 0 CHECK (occurs >= 0),
    payment_method  text CHECK (payment_method IN ('cash', 'card', 'code', 'virtual', 'token')),
    machines        bigint[] NOT NULL DEFAULT '{}',
    opening_hours   boolean NOT NULL DEFAULT false,
    condition       text NOT NULL DEFAULT '',
    repeat_every    integer NOT NULL DEFAULT 0 CHECK (repeat_every >= 0),
    notify_resolved boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_observers_user_group ON alert_observers (user_group);
CREATE INDEX alert_observers_machines ON alert_observers USING gin (machines);

-- +goose Down
DROP TABLE alert_observers;
DROP TABLE payment_transactions;
DROP TABLE revenue_transactions;
DROP TABLE logs;
