-- A fleet-sized vendrule database for the speed figures (issue 10): at
-- scale 1, 10 000 machines, 1 000 campaigns, 2 000 000 vouchers and
-- 10 000 000 redemptions and as many voucher log rows, all in the tenant
-- (user group) :group. Run by generate.sh after the migrations; :scale
-- shrinks or grows every count. Triggers are off while it loads (the rows
-- are consistent by construction: tenant columns are set here), and the
-- tables are vacuumed and analyzed at the end, as in a database that has
-- run for a while.
SET session_replication_role = replica;
\timing on
SELECT greatest(1, (10000 * :scale)::int) AS machines, greatest(1, (1000 * :scale)::int) AS campaigns \gset

INSERT INTO locations (user_group, name, city, country, time_zone)
SELECT :group, 'big location ' || g, 'City ' || (g % 50), 'NL', 'Europe/Amsterdam'
FROM generate_series(1, greatest(1, :machines / 20)) g;

INSERT INTO machines (user_group, tenant, name, hostname, location)
SELECT :group, :group, 'big machine ' || g, 'big-' || g,
	(SELECT min(id) FROM locations WHERE user_group = :group) + g % greatest(1, :machines / 20)
FROM generate_series(1, :machines) g;

INSERT INTO campaigns (user_group, tenant, name, type, voucher_value, status, total_vouchers, generated_vouchers)
SELECT :group, :group, 'big campaign ' || g, 'discount', 10, 'active', 2000, 2000
FROM generate_series(1, :campaigns) g;

-- 2 000 vouchers per campaign, each redeemed 5 times
INSERT INTO vouchers (id, user_group, tenant, campaign, code, type, redemption_count, total_redemption_count,
	amount_redeemed, total_amount_redeemed)
SELECT gen_random_uuid(), :group, :group, c.id, 'BIG' || c.id || '-' || lpad(n::text, 4, '0'), 'discount', 5, 5, 50, 50
FROM campaigns c CROSS JOIN generate_series(1, 2000) n
WHERE c.user_group = :group;

-- The two big tables are loaded without their indexes, which are built
-- afterwards (much faster than 20 million index insertions); the indexes and
-- key constraints are dropped and re-made from their own definitions.
CREATE TEMP TABLE big_indexes AS
	SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
			pg_get_constraintdef(c.oid)) AS make,
		format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop
	FROM pg_constraint c
	WHERE c.conrelid IN ('redemptions'::regclass, 'voucher_logs'::regclass) AND c.contype IN ('p', 'u')
	UNION ALL
	SELECT pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
	FROM pg_index i
	WHERE i.indrelid IN ('redemptions'::regclass, 'voucher_logs'::regclass)
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT drop FROM big_indexes \gexec

INSERT INTO redemptions (user_group, voucher, campaign, device_id, order_id, machine, location, amount, response,
	created_at)
SELECT v.user_group, v.id, v.campaign, 'big-' || (1 + (abs(hashtext(v.code)) + k) % :machines),
	'old-' || k, NULL, NULL, 10, '{"redeemed":true}', now() - (k || ' days')::interval
FROM vouchers v CROSS JOIN generate_series(1, 5) k
WHERE v.user_group = :group AND v.code LIKE 'BIG%';

INSERT INTO voucher_logs (user_group, voucher, requester, requester_location, action, success, request, response,
	currency, created_at)
SELECT v.user_group, v.id, 'big-' || (1 + (abs(hashtext(v.code)) + k) % :machines), '', 'redeem', 1,
	'{"order":{"id":"old-' || k || '"}}', '{"redeemed":true}', 'EUR', now() - (k || ' days')::interval
FROM vouchers v CROSS JOIN generate_series(1, 5) k
WHERE v.user_group = :group AND v.code LIKE 'BIG%';

SET maintenance_work_mem = '1GB';
SELECT make FROM big_indexes \gexec

RESET session_replication_role;
VACUUM ANALYZE;
SELECT (SELECT count(*) FROM machines) AS machines, (SELECT count(*) FROM campaigns) AS campaigns,
	(SELECT count(*) FROM vouchers) AS vouchers, (SELECT count(*) FROM redemptions) AS redemptions,
	(SELECT count(*) FROM voucher_logs) AS logs, pg_size_pretty(pg_database_size(current_database())) AS size;
