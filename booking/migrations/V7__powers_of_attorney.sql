-- Powers of attorney: a citizen lets a relative (by the helper id their eID gives them)
-- act on their behalf: book, move, cancel, fetch passes. Granted and revoked by the
-- citizen on their own pages, or recorded by an authority (a paper power of attorney)
-- or by the development seed. A revoked grant stays, for the record.
CREATE TABLE powers_of_attorney (
    id               BIGSERIAL PRIMARY KEY,
    citizen_cpr      TEXT NOT NULL,
    helper_id        TEXT NOT NULL CHECK (length(helper_id) BETWEEN 1 AND 128),
    granted_by_role  TEXT NOT NULL CHECK (granted_by_role IN ('citizen', 'authority', 'seed')),
    granted_by       TEXT NOT NULL,
    granted_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at       TIMESTAMPTZ,
    revoked_by_role  TEXT CHECK (revoked_by_role IN ('citizen', 'authority'))
);
-- At most one live grant per citizen and helper; the helper check reads this index.
CREATE UNIQUE INDEX powers_of_attorney_live
    ON powers_of_attorney (citizen_cpr, helper_id) WHERE revoked_at IS NULL;
