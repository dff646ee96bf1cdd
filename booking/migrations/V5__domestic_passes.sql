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
