-- +goose Up
-- Printable vouchers (docs/printing.md). Logos are uploaded images, kept in
-- the database so that every replica serves them.
CREATE TABLE images (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_group   bigint NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    size         integer NOT NULL CHECK (size BETWEEN 1 AND 1048576),
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX images_user_group ON images (user_group);
-- PNG and JPEG are compressed already.
ALTER TABLE images ALTER COLUMN data SET STORAGE EXTERNAL;

-- The status columns on campaigns and vouchers mirror the pdfs table (trigger
-- pdfs_mirror below), so that reading a campaign or a voucher needs no join.
ALTER TABLE campaigns
    ADD COLUMN voucher_logo_img    bigint REFERENCES images (id) ON DELETE SET NULL,
    ADD COLUMN vouchers_pdf_status text NOT NULL DEFAULT 'empty',
    ADD COLUMN vouchers_pdf_url    text NOT NULL DEFAULT '';
ALTER TABLE vouchers
    ADD COLUMN pdf_status text NOT NULL DEFAULT 'empty',
    ADD COLUMN pdf_url    text NOT NULL DEFAULT '';

-- One row per requested PDF: the sheet of a whole campaign (voucher NULL) or
-- one voucher's. A row is a durable job while status = 'generating': a
-- worker claims it (claim, claimed_until) with FOR UPDATE SKIP LOCKED, and a
-- claim whose lease ran out is taken over. content names the claim whose
-- chunks are the ready PDF.
CREATE TABLE pdfs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign      bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    voucher       uuid REFERENCES vouchers (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'generating' CHECK (status IN ('generating', 'ready', 'failed')),
    claim         uuid,
    claimed_until timestamptz,
    content       uuid,
    error         text NOT NULL DEFAULT '',
    size          bigint NOT NULL DEFAULT 0,
    pages         integer NOT NULL DEFAULT 0,
    vouchers      integer NOT NULL DEFAULT 0,
    ready_at      timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pdfs_campaign_sheet ON pdfs (campaign) WHERE voucher IS NULL;
CREATE UNIQUE INDEX pdfs_voucher ON pdfs (voucher) WHERE voucher IS NOT NULL;
CREATE INDEX pdfs_pending ON pdfs (updated_at) WHERE status = 'generating';

-- The PDF bytes in pieces of about 1 MiB, written as the renderer streams
-- them and read back in order; claim keeps a render that is being replaced
-- apart from the one being served.
CREATE TABLE pdf_chunks (
    pdf   bigint NOT NULL REFERENCES pdfs (id) ON DELETE CASCADE,
    claim uuid NOT NULL,
    seq   integer NOT NULL,
    data  bytea NOT NULL,
    PRIMARY KEY (pdf, claim, seq)
);
ALTER TABLE pdf_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- +goose StatementBegin
-- pdfs_restart puts PDFs back to 'generating' and drops their claims, so that
-- a render of what changed is not kept.
CREATE FUNCTION pdfs_restart(for_campaign bigint, for_voucher uuid, whole_campaign boolean) RETURNS void
LANGUAGE sql AS $$
    UPDATE pdfs SET status = 'generating', claim = NULL, claimed_until = NULL, error = '', updated_at = now()
    WHERE campaign = for_campaign
      AND (whole_campaign OR voucher IS NULL OR voucher = for_voucher)
$$;

CREATE FUNCTION pdfs_campaign_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pdfs_restart(NEW.id, NULL, true);
    RETURN NULL;
END $$;

CREATE FUNCTION pdfs_voucher_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pdfs_restart(NEW.campaign, NEW.id, false);
    RETURN NULL;
END $$;

-- pdfs_vouchers_added_or_removed restarts the sheets of the campaigns whose
-- vouchers a statement inserted or deleted: once per statement, so that a
-- generation of 100 000 vouchers pays one UPDATE, not one per row.
CREATE FUNCTION pdfs_vouchers_added_or_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pdfs SET status = 'generating', claim = NULL, claimed_until = NULL, error = '', updated_at = now()
    WHERE voucher IS NULL AND campaign IN (SELECT DISTINCT campaign FROM changed);
    RETURN NULL;
END $$;

-- pdfs_mirror copies a PDF's status, and its download path when ready, to
-- its campaign or voucher.
CREATE FUNCTION pdfs_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r pdfs;
    st text := 'empty';
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; st := NEW.status; END IF;
    IF r.voucher IS NULL THEN
        UPDATE campaigns SET vouchers_pdf_status = st,
            vouchers_pdf_url = CASE WHEN st = 'ready' THEN '/api/v1/campaigns/' || r.campaign || '/pdf' ELSE '' END
        WHERE id = r.campaign AND vouchers_pdf_status IS DISTINCT FROM st;
    ELSE
        UPDATE vouchers SET pdf_status = st,
            pdf_url = CASE WHEN st = 'ready' THEN '/api/v1/vouchers/' || r.voucher || '/pdf' ELSE '' END
        WHERE id = r.voucher AND pdf_status IS DISTINCT FROM st;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Only what is printed restarts a PDF. The column lists keep these triggers
-- off the device hot path, whose UPDATEs set counters and locks only.
CREATE TRIGGER campaigns_printed AFTER UPDATE OF type, voucher_value, value_type, currency, expires_on,
    voucher_text1, voucher_text2, voucher_text3, voucher_text4, voucher_style, voucher_logo_img ON campaigns
    FOR EACH ROW
    WHEN ((OLD.type, OLD.voucher_value, OLD.value_type, OLD.currency, OLD.expires_on, OLD.voucher_text1,
           OLD.voucher_text2, OLD.voucher_text3, OLD.voucher_text4, OLD.voucher_style, OLD.voucher_logo_img)
          IS DISTINCT FROM
          (NEW.type, NEW.voucher_value, NEW.value_type, NEW.currency, NEW.expires_on, NEW.voucher_text1,
           NEW.voucher_text2, NEW.voucher_text3, NEW.voucher_text4, NEW.voucher_style, NEW.voucher_logo_img))
    EXECUTE FUNCTION pdfs_campaign_changed();

CREATE TRIGGER vouchers_printed AFTER UPDATE OF code, value, value_type, expires_on, status,
    text1, text2, text3, text4, style ON vouchers
    FOR EACH ROW
    WHEN ((OLD.code, OLD.value, OLD.value_type, OLD.expires_on, OLD.status, OLD.text1, OLD.text2, OLD.text3,
           OLD.text4, OLD.style)
          IS DISTINCT FROM
          (NEW.code, NEW.value, NEW.value_type, NEW.expires_on, NEW.status, NEW.text1, NEW.text2, NEW.text3,
           NEW.text4, NEW.style))
    EXECUTE FUNCTION pdfs_voucher_changed();

CREATE TRIGGER vouchers_added AFTER INSERT ON vouchers REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pdfs_vouchers_added_or_removed();
CREATE TRIGGER vouchers_removed AFTER DELETE ON vouchers REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pdfs_vouchers_added_or_removed();

CREATE TRIGGER pdfs_mirror AFTER INSERT OR DELETE OR UPDATE OF status ON pdfs
    FOR EACH ROW EXECUTE FUNCTION pdfs_mirror();

-- +goose Down
DROP TRIGGER vouchers_removed ON vouchers;
DROP TRIGGER vouchers_added ON vouchers;
DROP TRIGGER vouchers_printed ON vouchers;
DROP TRIGGER campaigns_printed ON campaigns;
DROP TABLE pdf_chunks;
DROP TABLE pdfs;
DROP FUNCTION pdfs_mirror();
DROP FUNCTION pdfs_vouchers_added_or_removed();
DROP FUNCTION pdfs_voucher_changed();
DROP FUNCTION pdfs_campaign_changed();
DROP FUNCTION pdfs_restart(bigint, uuid, boolean);
ALTER TABLE vouchers DROP COLUMN pdf_url, DROP COLUMN pdf_status;
ALTER TABLE campaigns DROP COLUMN vouchers_pdf_url, DROP COLUMN vouchers_pdf_status, DROP COLUMN voucher_logo_img;
DROP TABLE images;
