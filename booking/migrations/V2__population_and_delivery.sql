-- The population register extract, eligibility (cohorts, waves, invitations) and the
-- delivery state of the notification outbox.

CREATE TABLE citizens (
    cpr                TEXT PRIMARY KEY,
    given_name         TEXT NOT NULL,
    family_name        TEXT NOT NULL,
    address            TEXT NOT NULL,
    postcode           TEXT NOT NULL,
    city               TEXT NOT NULL DEFAULT '',
    municipality_code  SMALLINT NOT NULL,
    birth_date         DATE NOT NULL,
    -- Exempt citizens get paper letters.
    digital_post       TEXT NOT NULL CHECK (digital_post IN ('digital', 'exempt')),
    nemsms             BOOLEAN NOT NULL DEFAULT false,
    language           TEXT NOT NULL DEFAULT 'da' CHECK (language IN ('da', 'en')),
    priority_groups    TEXT[] NOT NULL DEFAULT '{}'
);
CREATE INDEX citizens_birth_date ON citizens (birth_date);
CREATE INDEX citizens_municipality ON citizens (municipality_code);

-- A cohort is data an authority can read: objective criteria as JSON.
CREATE TABLE cohorts (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    criteria    JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A wave opens a cohort for an invitation campaign.
CREATE TABLE waves (
    id           BIGSERIAL PRIMARY KEY,
    cohort_id    BIGINT NOT NULL REFERENCES cohorts (id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id),
    opens_at     TIMESTAMPTZ NOT NULL,
    opened_at    TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ,
    invited      INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Who may book an invitation campaign. One row per citizen and campaign: a citizen in
-- two waves of one campaign is invited once.
CREATE TABLE invitations (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id),
    cpr          TEXT NOT NULL,
    wave_id      BIGINT NOT NULL REFERENCES waves (id),
    invited_at   TIMESTAMPTZ NOT NULL,
    reminded_at  TIMESTAMPTZ,
    PRIMARY KEY (campaign_id, cpr)
);
CREATE INDEX invitations_wave ON invitations (wave_id);

-- Delivery state of each letter. The row id is the MeMo messageUUID, so a resend after
-- a crash is the same message and the gateway keeps one.
ALTER TABLE outbox
    ADD COLUMN wave_id          BIGINT REFERENCES waves (id),
    ADD COLUMN channel          TEXT CHECK (channel IN ('digital_post', 'paper', 'nemsms')),
    ADD COLUMN attempts         INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN last_error       TEXT,
    ADD COLUMN delivered_at     TIMESTAMPTZ,
    ADD COLUMN opened_at        TIMESTAMPTZ;
ALTER TABLE outbox
    ADD CONSTRAINT outbox_status CHECK (status IN ('queued', 'delivered', 'dead'));
DROP INDEX outbox_queued;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbox_wave ON outbox (wave_id, status) WHERE wave_id IS NOT NULL;
