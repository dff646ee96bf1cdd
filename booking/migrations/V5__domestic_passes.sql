-- Danish domestic passes (DK1, certificate/src/domestic.rs) are recorded with the EU DCC
-- passes, so a correction or withdrawal of the record they were issued from revokes them
-- the same way (their SIGNATURE hash lands in the revocation list). Written by the pass
-- service (certificate/service).
--
-- A domestic pass has no UVCI: its `uvci` (the primary key) holds an internal id
-- `urn:dk1:<uuid>`, its UCI hashes are empty (revoke_from_record lists only 16-byte
-- hashes), and `domestic_level` says how much it carries (1: valid until; 2: also name
-- and birth date).

ALTER TABLE issued_passes DROP CONSTRAINT issued_passes_pass_type_check;
ALTER TABLE issued_passes ADD CONSTRAINT issued_passes_pass_type_check
    CHECK (pass_type IN ('test', 'vaccination', 'recovery', 'domestic'));

ALTER TABLE issued_passes ADD COLUMN domestic_level SMALLINT;
ALTER TABLE issued_passes ADD CONSTRAINT issued_passes_domestic_level CHECK (
    CASE WHEN pass_type = 'domestic'
         THEN domestic_level IN (1, 2) AND uvci LIKE 'urn:dk1:%'
         ELSE domestic_level IS NULL
    END);

COMMENT ON COLUMN issued_passes.uvci IS
    'the UVCI of an EU DCC; for a domestic pass (no UVCI) an internal id urn:dk1:<uuid>';
COMMENT ON COLUMN issued_passes.hc1 IS 'the QR text: HC1:... (EU DCC) or DK1:... (domestic)';

-- The revocation list's version, bumped in the same transaction as every insert into
-- `revocations` (rows are never updated or deleted), so a pass service instance can keep
-- the list in memory and rebuild it only when this number moves, whichever instance
-- revoked. A sequence or max(id) would not do: ids become visible out of order.
CREATE TABLE revocation_list_version (
    singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version    BIGINT NOT NULL
);
INSERT INTO revocation_list_version (version) VALUES (0);

CREATE FUNCTION bump_revocation_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE revocation_list_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER revocations_bump_version AFTER INSERT ON revocations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revocation_list_version();
