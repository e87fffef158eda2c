-- One redeem as vendrule does it: the limit/balance guard and the change in
-- one conditional UPDATE, and the redemption row, in one transaction.
-- Distinct vouchers: pgbench -n -c 32 -j 2 -T 20 -D scale=10 -D hot=0 -f redeem.sql
-- One hot voucher:   pgbench -n -c 8 -j 2 -T 20 -D scale=10 -D hot=1 -f redeem.sql (and -c 32)
-- All of it, repeated, with vrload in between: run.sh
\set v random(1, :scale * 1000)
\set o random(1, 1000000000000)
\if :hot
\set v 1
\endif
BEGIN;
UPDATE bench_vouchers SET redemption_count = redemption_count + 1, amount_redeemed = amount_redeemed + 1,
    last_redemption_at = now()
  WHERE id = :v AND (redemption_limit = 0 OR redemption_count < redemption_limit)
    AND (balance_cap < 0 OR amount_redeemed + 1 <= balance_cap);
INSERT INTO bench_redemptions (voucher, device_id, order_id, amount, response)
  VALUES (:v, 'dev-' || :client_id, :client_id || '-' || :o, 1, '{"redeemed":true}');
END;
