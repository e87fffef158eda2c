-- Setup for redeem.sql: a standalone copy of the hot part of the voucher
-- schema with :scale * 1000 vouchers (run with psql -v scale=10 -f setup.sql).
-- As in vendrule (migrations 00009, 00011), the redemptions and the logs have
-- no foreign keys; the redemptions keep their unique idempotency key.
DROP TABLE IF EXISTS bench_redemptions, bench_voucher_logs, bench_vouchers;
CREATE TABLE bench_vouchers (
    id               bigint PRIMARY KEY,
    redemption_limit bigint NOT NULL DEFAULT 0,
    redemption_count bigint NOT NULL DEFAULT 0,
    amount_redeemed  bigint NOT NULL DEFAULT 0,
    balance_cap      bigint NOT NULL DEFAULT -1,
    last_redemption_at timestamptz
);
INSERT INTO bench_vouchers (id, balance_cap) SELECT g, 1000000000 FROM generate_series(1, :scale * 1000) g;
CREATE TABLE bench_redemptions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    voucher    bigint NOT NULL,
    device_id  text NOT NULL,
    order_id   text NOT NULL,
    amount     bigint NOT NULL,
    response   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (voucher, device_id, order_id)
);
CREATE TABLE bench_voucher_logs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    voucher    bigint NOT NULL,
    requester  text NOT NULL,
    action     text NOT NULL,
    success    smallint NOT NULL,
    request    text NOT NULL,
    response   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bench_voucher_logs_voucher ON bench_voucher_logs (voucher, created_at);
