-- +goose Up
-- The newest event and sale of each machine (the seed's lastLog and
-- lastRevenuetransaction, with their times), kept by ingestion with one
-- statement per batch: newest by occurred_at (then id), never moved back by
-- a late backlog. Read-only through the API.
ALTER TABLE machines
    ADD COLUMN last_log                   bigint,
    ADD COLUMN last_log_at                timestamptz,
    ADD COLUMN last_revenuetransaction    bigint,
    ADD COLUMN last_revenuetransaction_at timestamptz;

-- Ingestion now updates machine rows on every batch. The tenant trigger
-- depends only on user_group, so it runs when that is written (or tenant
-- itself), not on every update: a batch does not walk the group tree.
DROP TRIGGER machines_tenant ON machines;
CREATE TRIGGER machines_tenant BEFORE INSERT OR UPDATE OF user_group, tenant ON machines
    FOR EACH ROW EXECUTE FUNCTION machines_set_tenant();

-- Machines with history get their state now; the subqueries walk
-- (machine, occurred_at) backwards, one row each.
UPDATE machines m SET
    (last_log, last_log_at) = (SELECT l.id, l.occurred_at FROM logs l WHERE l.machine = m.id
        ORDER BY l.occurred_at DESC, l.id DESC LIMIT 1),
    (last_revenuetransaction, last_revenuetransaction_at) = (SELECT t.id, t.occurred_at
        FROM revenue_transactions t WHERE t.machine = m.id ORDER BY t.occurred_at DESC, t.id DESC LIMIT 1);

-- +goose Down
DROP TRIGGER machines_tenant ON machines;
CREATE TRIGGER machines_tenant BEFORE INSERT OR UPDATE ON machines
    FOR EACH ROW EXECUTE FUNCTION machines_set_tenant();
ALTER TABLE machines
    DROP COLUMN last_log,
    DROP COLUMN last_log_at,
    DROP COLUMN last_revenuetransaction,
    DROP COLUMN last_revenuetransaction_at;
