-- The national test and vaccination registers, the passes issued from them and the
-- revocation list. Written by the pass service (certificate/service); the booking
-- service applies every migration.
--
-- A record is identified by its sender (the site client id) and the sender's own record
-- id. A correction keeps the old version with status 'corrected' (pointing at its
-- successor) and inserts the new one; "entered in error" marks the record withdrawn.
-- At most one version per (sender, sender_record_id) is not 'corrected'.

CREATE TABLE register_tests (
    id                BIGSERIAL PRIMARY KEY,
    sender            TEXT NOT NULL,
    sender_record_id  TEXT NOT NULL,
    cpr               TEXT NOT NULL,
    disease           TEXT NOT NULL,
    test_type         TEXT NOT NULL,
    test_name         TEXT,
    manufacturer      TEXT,
    result            TEXT NOT NULL,
    sample_time       TIMESTAMPTZ NOT NULL,
    test_centre       TEXT NOT NULL,
    country           TEXT NOT NULL,
    booking_id        UUID REFERENCES bookings (id),
    -- SHA-256 of the normalised record: the same record again changes nothing.
    content_hash      BYTEA NOT NULL,
    status            TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'corrected', 'entered_in_error')),
    superseded_by     BIGINT REFERENCES register_tests (id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX register_tests_sender_record
    ON register_tests (sender, sender_record_id) WHERE status <> 'corrected';
CREATE INDEX register_tests_cpr ON register_tests (cpr, sample_time DESC) WHERE status = 'active';

CREATE TABLE register_vaccinations (
    id                BIGSERIAL PRIMARY KEY,
    sender            TEXT NOT NULL,
    sender_record_id  TEXT NOT NULL,
    cpr               TEXT NOT NULL,
    disease           TEXT NOT NULL,
    vaccine           TEXT NOT NULL,
    product           TEXT NOT NULL,
    manufacturer      TEXT NOT NULL,
    dose_number       SMALLINT NOT NULL CHECK (dose_number BETWEEN 1 AND 9),
    total_doses       SMALLINT NOT NULL CHECK (total_doses BETWEEN 1 AND 9),
    vaccinated_on     DATE NOT NULL,
    country           TEXT NOT NULL,
    booking_id        UUID REFERENCES bookings (id),
    content_hash      BYTEA NOT NULL,
    status            TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'corrected', 'entered_in_error')),
    superseded_by     BIGINT REFERENCES register_vaccinations (id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX register_vaccinations_sender_record
    ON register_vaccinations (sender, sender_record_id) WHERE status <> 'corrected';
CREATE INDEX register_vaccinations_cpr
    ON register_vaccinations (cpr, vaccinated_on DESC, dose_number DESC) WHERE status = 'active';

-- Every pass issued, with the record version it was issued from and its revocation
-- hashes (eHN DCC revocation: first 16 bytes of SHA-256), so a correction can revoke it.
CREATE TABLE issued_passes (
    uvci                TEXT PRIMARY KEY,
    cpr                 TEXT NOT NULL,
    pass_type           TEXT NOT NULL CHECK (pass_type IN ('test', 'vaccination', 'recovery')),
    source_register     TEXT NOT NULL CHECK (source_register IN ('test', 'vaccination')),
    source_record       BIGINT NOT NULL,
    kid                 TEXT NOT NULL,
    hc1                 TEXT NOT NULL,
    uci_hash            BYTEA NOT NULL,
    country_uci_hash    BYTEA NOT NULL,
    signature_hash      BYTEA NOT NULL,
    -- Set when a helper asked for the pass on the citizen's behalf.
    issued_by_helper    TEXT,
    issued_at           TIMESTAMPTZ NOT NULL,
    expires_at          TIMESTAMPTZ NOT NULL,
    revoked_at          TIMESTAMPTZ
);
CREATE INDEX issued_passes_source
    ON issued_passes (source_register, source_record) WHERE revoked_at IS NULL;
CREATE INDEX issued_passes_cpr ON issued_passes (cpr, pass_type, issued_at DESC);

-- The revocation list verifiers download, by hash type and per kid.
CREATE TABLE revocations (
    id          BIGSERIAL PRIMARY KEY,
    hash        BYTEA NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('UCI', 'COUNTRYCODEUCI', 'SIGNATURE')),
    kid         TEXT NOT NULL,
    uvci        TEXT REFERENCES issued_passes (uvci),
    reason      TEXT NOT NULL,
    revoked_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (kind, hash)
);
