-- The booking schema. PostgreSQL is the source of truth: the capacity invariant is a
-- CHECK on a counter that every booking change updates in the same transaction, and the
-- one-active-booking-per-campaign rule is a partial unique index.

CREATE TABLE campaigns (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('test', 'vaccination')),
    access      TEXT NOT NULL CHECK (access IN ('open', 'invitation')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE sites (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT NOT NULL,
    address            TEXT NOT NULL,
    postcode           TEXT NOT NULL,
    municipality_code  SMALLINT NOT NULL,
    lat                DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon                DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
    closed_at          TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sites_municipality ON sites (municipality_code);

CREATE TABLE site_campaigns (
    site_id      BIGINT NOT NULL REFERENCES sites (id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id),
    PRIMARY KEY (site_id, campaign_id)
);

CREATE TABLE slots (
    id           BIGSERIAL PRIMARY KEY,
    site_id      BIGINT NOT NULL REFERENCES sites (id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id),
    starts_at    TIMESTAMPTZ NOT NULL,
    ends_at      TIMESTAMPTZ NOT NULL,
    capacity     INTEGER NOT NULL CHECK (capacity >= 0),
    booked       INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    closed       BOOLEAN NOT NULL DEFAULT false,
    -- Bumped on every change; Redis only accepts a newer version of a slot.
    version      BIGINT NOT NULL DEFAULT 1,
    CONSTRAINT slot_never_overbooked CHECK (booked <= capacity),
    CONSTRAINT slot_ends_after_start CHECK (ends_at > starts_at),
    UNIQUE (site_id, campaign_id, starts_at)
);
CREATE INDEX slots_starts_at ON slots (starts_at);

CREATE TABLE bookings (
    id           UUID PRIMARY KEY,
    slot_id      BIGINT NOT NULL REFERENCES slots (id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id),
    cpr          TEXT NOT NULL,
    -- The hold a booking was confirmed from: a retried confirm finds its booking here.
    hold_id      TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'moved', 'done')),
    -- Set when a helper acted for the citizen.
    booked_by    TEXT,
    moved_to     UUID REFERENCES bookings (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX one_active_booking_per_campaign
    ON bookings (campaign_id, cpr) WHERE status = 'active';
CREATE INDEX bookings_cpr ON bookings (cpr);
CREATE INDEX bookings_slot ON bookings (slot_id) WHERE status = 'active';

-- Letters to send, written in the same transaction as the change they announce.
-- The notifier claims rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE outbox (
    id          UUID PRIMARY KEY,
    kind        TEXT NOT NULL,
    cpr         TEXT NOT NULL,
    payload     JSONB NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbox_queued ON outbox (created_at) WHERE status = 'queued';

-- Who did what to whose data; a citizen can read the rows about them.
CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    subject_cpr  TEXT NOT NULL,
    actor_role   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    action       TEXT NOT NULL,
    detail       JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_subject ON audit_log (subject_cpr, at);
