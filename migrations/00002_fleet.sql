-- +goose Up
CREATE TABLE manufacturers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group    bigint NOT NULL REFERENCES user_groups (id),
    name          text NOT NULL,
    machine_types bigint[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE machine_types (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group bigint NOT NULL REFERENCES user_groups (id),
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE error_profiles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group   bigint NOT NULL REFERENCES user_groups (id),
    name         text NOT NULL,
    machine_type bigint NOT NULL REFERENCES machine_types (id),
    manufacturer bigint NOT NULL REFERENCES manufacturers (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE error_identities (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group   bigint NOT NULL REFERENCES user_groups (id),
    machine_type bigint NOT NULL REFERENCES machine_types (id),
    error        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE error_codes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group     bigint NOT NULL REFERENCES user_groups (id),
    error_identity bigint NOT NULL REFERENCES error_identities (id),
    error_profile  bigint NOT NULL REFERENCES error_profiles (id),
    code           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX error_codes_profile_code ON error_codes (error_profile, code);

CREATE TABLE machine_models (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group    bigint NOT NULL REFERENCES user_groups (id),
    name          text NOT NULL,
    manufacturer  bigint NOT NULL REFERENCES manufacturers (id),
    error_profile bigint NOT NULL REFERENCES error_profiles (id),
    machine_type  bigint REFERENCES machine_types (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE locations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group   bigint NOT NULL REFERENCES user_groups (id),
    name         text NOT NULL,
    address      text NOT NULL DEFAULT '',
    postcode     text NOT NULL DEFAULT '',
    city         text NOT NULL DEFAULT '',
    country      text NOT NULL DEFAULT '',
    latitude     double precision,
    longitude    double precision,
    place_id     text NOT NULL DEFAULT '',
    external_ref text NOT NULL DEFAULT '',
    time_zone    text NOT NULL DEFAULT 'Europe/Amsterdam',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locations_external_ref ON locations (external_ref) WHERE external_ref <> '';

CREATE TABLE location_groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group bigint NOT NULL REFERENCES user_groups (id),
    name       text NOT NULL,
    locations  bigint[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX location_groups_locations ON location_groups USING gin (locations);

CREATE TABLE machines (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group     bigint NOT NULL REFERENCES user_groups (id),
    name           text NOT NULL,
    hostname       text NOT NULL,
    location       bigint NOT NULL REFERENCES locations (id),
    machine_model  bigint REFERENCES machine_models (id),
    machine_type   bigint REFERENCES machine_types (id),
    manufacturer   bigint REFERENCES manufacturers (id),
    currency       text NOT NULL DEFAULT 'EUR',
    tag            text NOT NULL DEFAULT '',
    notes          text NOT NULL DEFAULT '',
    virtual_prices boolean NOT NULL DEFAULT false,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX machines_hostname ON machines (hostname);
CREATE INDEX machines_location ON machines (location);

CREATE TABLE machine_groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group bigint NOT NULL REFERENCES user_groups (id),
    name       text NOT NULL,
    machines   bigint[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX machine_groups_machines ON machine_groups USING gin (machines);

-- One key per machine, stored as a SHA-256 of the secret.
CREATE TABLE machine_keys (
    machine_id bigint PRIMARY KEY REFERENCES machines (id) ON DELETE CASCADE,
    key_hash   text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Opening hours are set on a machine or one of its parents; the set written
-- last among a machine and its parents is the machine's hours.
CREATE TABLE opening_hour_sets (
    resource    text NOT NULL CHECK (resource IN ('machine', 'machinegroup', 'location', 'locationgroup')),
    resource_id bigint NOT NULL,
    user_group  bigint NOT NULL REFERENCES user_groups (id),
    hours       jsonb NOT NULL,
    set_at      timestamptz NOT NULL,
    PRIMARY KEY (resource, resource_id)
);

-- +goose Down
DROP TABLE opening_hour_sets;
DROP TABLE machine_keys;
DROP TABLE machine_groups;
DROP TABLE machines;
DROP TABLE location_groups;
DROP TABLE locations;
DROP TABLE machine_models;
DROP TABLE error_codes;
DROP TABLE error_identities;
DROP TABLE error_profiles;
DROP TABLE machine_types;
DROP TABLE manufacturers;
