-- Setup for redeem.sql: a standalone copy of the hot part of the voucher
-- schema with :scale * 1000 vouchers (run with psql -v scale=10 -f setup.sql).
DROP TABLE IF EXISTS bench_redemptions, bench_vouchers;
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
    voucher    bigint NOT NULL REFERENCES bench_vouchers (id),
    device_id  text NOT NULL,
    order_id   text NOT NULL,
    amount     bigint NOT NULL,
    response   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (voucher, device_id, order_id)
);
