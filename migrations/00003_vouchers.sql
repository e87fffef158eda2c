-- +goose Up
-- Campaigns own vouchers. tenant is the root user group of the owner: codes
-- are unique per tenant because a device sends only the code.
CREATE TABLE campaigns (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group         bigint NOT NULL REFERENCES user_groups (id),
    tenant             bigint NOT NULL REFERENCES user_groups (id),
    owner_id           bigint REFERENCES users (id) ON DELETE SET NULL,
    owner_data         text NOT NULL DEFAULT '',
    name               text NOT NULL,
    total_vouchers     integer NOT NULL DEFAULT 0 CHECK (total_vouchers BETWEEN 0 AND 100000),
    generated_vouchers integer NOT NULL DEFAULT 0,
    type               text NOT NULL CHECK (type IN ('discount', 'gift', 'dynamic')),
    value_type         text NOT NULL DEFAULT 'cents' CHECK (value_type IN ('cents', 'percent')),
    voucher_value      bigint NOT NULL DEFAULT 0 CHECK (voucher_value >= 0),
    value_expr         text NOT NULL DEFAULT '',
    redemption_limit   bigint NOT NULL DEFAULT 0 CHECK (redemption_limit >= 0),
    reset_frequency    text NOT NULL DEFAULT 'never' CHECK (reset_frequency IN ('never', 'day', 'week', 'month')),
    expires_on         text,
    currency           text NOT NULL DEFAULT 'EUR',
    time_zone          text NOT NULL DEFAULT 'Europe/Amsterdam',
    status             text NOT NULL DEFAULT 'creating'
                       CHECK (status IN ('creating', 'active', 'inactive', 'failed')),
    generation_error   text NOT NULL DEFAULT '',
    prefix             text NOT NULL DEFAULT '',
    voucher_text1      text NOT NULL DEFAULT '',
    voucher_text2      text NOT NULL DEFAULT '',
    voucher_text3      text NOT NULL DEFAULT '',
    voucher_text4      text NOT NULL DEFAULT '',
    voucher_style      text NOT NULL DEFAULT '',
    validation_rules   jsonb NOT NULL DEFAULT '[]',
    redemption_rules   jsonb NOT NULL DEFAULT '[]',
    last_reset_at      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_user_group ON campaigns (user_group);
CREATE INDEX campaigns_creating ON campaigns (id) WHERE status = 'creating';

-- Vouchers. NULL settings inherit the campaign's (resolved in one Go
-- function, engine/vouchers.Effective). period_start is the start of the
-- reset period the counters belong to; a later period resets them lazily.
CREATE TABLE vouchers (
    id                       uuid PRIMARY KEY,
    user_group               bigint NOT NULL REFERENCES user_groups (id),
    tenant                   bigint NOT NULL REFERENCES user_groups (id),
    campaign                 bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    code                     text NOT NULL,
    type                     text NOT NULL,
    prefix                   text NOT NULL DEFAULT '',
    value                    bigint CHECK (value >= 0),
    value_type               text CHECK (value_type IN ('cents', 'percent')),
    redemption_limit         bigint CHECK (redemption_limit >= 0),
    reset_frequency          text CHECK (reset_frequency IN ('never', 'day', 'week', 'month')),
    expires_on               text,
    time_zone                text,
    validation_rules         jsonb,
    redemption_rules         jsonb,
    redemption_count         bigint NOT NULL DEFAULT 0 CHECK (redemption_count >= 0),
    total_redemption_count   bigint NOT NULL DEFAULT 0 CHECK (total_redemption_count >= 0),
    amount_redeemed          bigint NOT NULL DEFAULT 0 CHECK (amount_redeemed >= 0),
    total_amount_redeemed    bigint NOT NULL DEFAULT 0 CHECK (total_amount_redeemed >= 0),
    period_start             timestamptz,
    last_reset_at            timestamptz,
    last_redemption_at       timestamptz,
    last_redemption_location text NOT NULL DEFAULT '',
    lock_owner               text,
    locked_till              timestamptz,
    status                   text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    text1                    text NOT NULL DEFAULT '',
    text2                    text NOT NULL DEFAULT '',
    text3                    text NOT NULL DEFAULT '',
    text4                    text NOT NULL DEFAULT '',
    style                    text NOT NULL DEFAULT '',
    voucher_comments         text NOT NULL DEFAULT '',
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX vouchers_tenant_code ON vouchers (tenant, code);
CREATE INDEX vouchers_code ON vouchers (code);
CREATE INDEX vouchers_campaign ON vouchers (campaign);
CREATE INDEX vouchers_user_group ON vouchers (user_group);

-- One row per successful redeem. The unique key makes redeem idempotent;
-- response holds the first answer, returned as is to retries.
CREATE TABLE redemptions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group     bigint NOT NULL REFERENCES user_groups (id),
    voucher        uuid NOT NULL REFERENCES vouchers (id) ON DELETE CASCADE,
    campaign       bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    device_id      text NOT NULL,
    order_id       text NOT NULL,
    machine        bigint,
    location       bigint,
    amount         bigint NOT NULL,
    period_start   timestamptz,
    response       text NOT NULL,
    rolled_back_at timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (voucher, device_id, order_id)
);
CREATE INDEX redemptions_user_group ON redemptions (user_group);

CREATE TABLE voucher_logs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group         bigint NOT NULL REFERENCES user_groups (id),
    voucher            uuid NOT NULL REFERENCES vouchers (id) ON DELETE CASCADE,
    requester          text NOT NULL,
    requester_location text NOT NULL DEFAULT '',
    action             text NOT NULL CHECK (action IN ('validate', 'redeem', 'rollback', 'unlock')),
    success            smallint NOT NULL,
    request            text NOT NULL,
    response           text NOT NULL,
    currency           text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX voucher_logs_voucher ON voucher_logs (voucher, id);
CREATE INDEX voucher_logs_user_group ON voucher_logs (user_group);

-- +goose Down
DROP TABLE voucher_logs;
DROP TABLE redemptions;
DROP TABLE vouchers;
DROP TABLE campaigns;
