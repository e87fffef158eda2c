-- The least durable work of one redeem, as the yardstick for vendrule's:
-- the limit/balance guard and the change in one conditional UPDATE, the
-- redemption row under its unique idempotency key with the stored answer,
-- and the voucher's log row, in one transaction.
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
INSERT INTO bench_voucher_logs (voucher, requester, action, success, request, response)
  VALUES (:v, 'dev-' || :client_id, 'redeem', 1, '{"order":{"id":"' || :o || '"}}', '{"redeemed":true}');
END;
