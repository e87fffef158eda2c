-- +goose Up
-- Hostnames are unique per tenant, no longer across all tenants: a manager
-- who picked a hostname that another tenant's machine has got "already
-- exists", which told them that the other machine exists. Every lookup by
-- hostname is limited to one tenant's groups (a device sees its tenant's
-- tree, a manager a part of one), so one hostname per tenant is still one
-- machine wherever a hostname is looked up.
--
-- tenant is the root user group above the machine's group, as campaigns and
-- vouchers keep it for codes. A trigger keeps it, since the API never names
-- it; a group never changes tenant (a group moves only below another group
-- of its tenant, and roots are made only by `vendrule user add`), so only a
-- machine's own group decides it.
ALTER TABLE machines ADD COLUMN tenant bigint;

-- +goose StatementBegin
CREATE FUNCTION machines_set_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH RECURSIVE up AS (
        SELECT g.id, g.parent FROM user_groups g WHERE g.id = NEW.user_group
        UNION ALL SELECT g.id, g.parent FROM user_groups g JOIN up ON g.id = up.parent)
    SELECT up.id INTO NEW.tenant FROM up WHERE up.parent IS NULL;
    RETURN NEW;
END $$;
-- +goose StatementEnd

CREATE TRIGGER machines_tenant BEFORE INSERT OR UPDATE ON machines
    FOR EACH ROW EXECUTE FUNCTION machines_set_tenant();

UPDATE machines SET user_group = user_group;
ALTER TABLE machines ALTER COLUMN tenant SET NOT NULL;

-- hostname first: the device lookups (hostname = $1 AND user_group = ANY …)
-- use this index as they used the old one.
DROP INDEX machines_hostname;
CREATE UNIQUE INDEX machines_hostname_tenant ON machines (hostname, tenant);

-- +goose Down
-- Fails while two tenants share a hostname: rename one machine first.
DROP INDEX machines_hostname_tenant;
CREATE UNIQUE INDEX machines_hostname ON machines (hostname);
DROP TRIGGER machines_tenant ON machines;
DROP FUNCTION machines_set_tenant();
ALTER TABLE machines DROP COLUMN tenant;
