-- Declarative partitioning of the tables that grow with the population, the waves and
-- the bookings (docs/scale.md, "PostgreSQL at scale"). Each table keeps its rules as
-- real constraints: every unique key includes its table's partition key, so PostgreSQL
-- still enforces it across partitions.
--
--   bookings     LIST (campaign_id): one partition per campaign, made with the campaign.
--                The active-booking rule (campaign_id, cpr) is per partition by nature; a
--                finished campaign's partition can be detached and archived whole.
--   invitations  LIST (campaign_id), the same way: a wave writes into one partition.
--   outbox       RANGE (id) by month. Letter ids are UUID version 7, whose first 48 bits
--                are the creation millisecond, so an id range is a time range and the id
--                alone (the MeMo messageUUID) stays the primary key. A month of
--                delivered letters is detached and archived instead of deleted row by
--                row. Ids of other versions land in the default partition.
--   citizens     HASH (cpr), 8 ways: the population register; every lookup is by CPR and
--                prunes to one partition, a cohort scan runs over the parts in parallel.
--   register_*   HASH (sender, sender_record_id), 4 ways: the registers' idempotency key.
--                By time would suit retention, but then "one current version per
--                sender's record" could not be a unique constraint, and that constraint
--                is what keeps a repeated or concurrent import safe.
--
-- Existing rows are copied over; the old tables are dropped.

-- Partitions and the unique indexes of a partitioned table are named per partition, so
-- code must not match violated constraint names of these tables (see store/bookings.rs).

-- A UUID version 7 for a time: its millisecond, then random bits.
CREATE FUNCTION uuid_v7(at timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM at) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

-- The smallest UUID version 7 of a time's millisecond: the outbox partitions' bounds.
CREATE FUNCTION uuid_v7_floor(at timestamptz) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0')
            || '00000000000000000000')::uuid
$$;

------------------------------------------------------------------------------------------
-- bookings

ALTER TABLE register_tests DROP CONSTRAINT register_tests_booking_id_fkey;
ALTER TABLE register_vaccinations DROP CONSTRAINT register_vaccinations_booking_id_fkey;
ALTER TABLE bookings RENAME TO bookings_unpartitioned;

CREATE TABLE bookings (
    id           UUID NOT NULL,
    slot_id      BIGINT NOT NULL REFERENCES slots (id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id),
    cpr          TEXT NOT NULL,
    hold_id      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'moved', 'done')),
    booked_by    TEXT,
    moved_to     UUID,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
) PARTITION BY LIST (campaign_id);

------------------------------------------------------------------------------------------
-- invitations

ALTER TABLE invitations RENAME TO invitations_unpartitioned;

CREATE TABLE invitations (
    campaign_id  BIGINT NOT NULL,
    cpr          TEXT NOT NULL,
    wave_id      BIGINT NOT NULL,
    invited_at   TIMESTAMPTZ NOT NULL,
    reminded_at  TIMESTAMPTZ
) PARTITION BY LIST (campaign_id);

-- A campaign's partitions, made in the campaign's own transaction. A table made apart
-- and attached takes a lighter lock on the parent than CREATE TABLE ... PARTITION OF,
-- so bookings of other campaigns go on meanwhile.
CREATE FUNCTION create_campaign_partitions(campaign BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    parent TEXT;
BEGIN
    FOREACH parent IN ARRAY ARRAY['bookings', 'invitations'] LOOP
        IF to_regclass(format('%s_c%s', parent, campaign)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                           parent || '_c' || campaign, parent);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES IN (%s)',
                           parent, parent || '_c' || campaign, campaign);
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION campaign_partitions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM create_campaign_partitions(NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER campaigns_partitions AFTER INSERT ON campaigns
    FOR EACH ROW EXECUTE FUNCTION campaign_partitions();

SELECT create_campaign_partitions(id) FROM campaigns;

INSERT INTO bookings SELECT * FROM bookings_unpartitioned;
INSERT INTO invitations SELECT * FROM invitations_unpartitioned;
DROP TABLE bookings_unpartitioned;
DROP TABLE invitations_unpartitioned;

-- Keys lead with the column lookups use (a booking by id, a confirm retried by its hold),
-- so those find their row through each partition's index without knowing the campaign.
ALTER TABLE bookings ADD CONSTRAINT bookings_pkey PRIMARY KEY (id, campaign_id);
ALTER TABLE bookings ADD CONSTRAINT bookings_hold_id_key UNIQUE (hold_id, campaign_id);
-- A booking is moved only within its campaign.
ALTER TABLE bookings ADD CONSTRAINT bookings_moved_to_fkey
    FOREIGN KEY (moved_to, campaign_id) REFERENCES bookings (id, campaign_id);
CREATE UNIQUE INDEX one_active_booking_per_campaign
    ON bookings (campaign_id, cpr) WHERE status = 'active';
-- "My bookings" and the reminder sweep's "has booked" read only this index.
CREATE INDEX bookings_cpr ON bookings (cpr) INCLUDE (campaign_id, status);
CREATE INDEX bookings_slot ON bookings (slot_id) WHERE status = 'active';

ALTER TABLE invitations ADD CONSTRAINT invitations_pkey PRIMARY KEY (campaign_id, cpr);
CREATE INDEX invitations_wave ON invitations (wave_id);
CREATE INDEX invitations_unreminded ON invitations (invited_at) WHERE reminded_at IS NULL;

-- The registers refer to bookings by id alone (a register row does not know the
-- campaign), which a foreign key to a partitioned table cannot express. The pass service
-- checks the booking exists before it records the link, and bookings are never deleted.
CREATE FUNCTION refuse_booking_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'bookings are never deleted: the registers refer to them'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER bookings_never_deleted BEFORE DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION refuse_booking_delete();

------------------------------------------------------------------------------------------
-- outbox

ALTER TABLE print_letters DROP CONSTRAINT print_letters_outbox_id_fkey;
ALTER TABLE outbox RENAME TO outbox_unpartitioned;

CREATE TABLE outbox (
    id               UUID NOT NULL,
    kind             TEXT NOT NULL,
    cpr              TEXT NOT NULL,
    payload          JSONB NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    wave_id          BIGINT,
    channel          TEXT CHECK (channel IN ('digital_post', 'paper', 'nemsms')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    delivered_at     TIMESTAMPTZ,
    opened_at        TIMESTAMPTZ,
    nemsms_sent_at   TIMESTAMPTZ,
    CONSTRAINT outbox_status CHECK (status IN ('queued', 'delivered', 'dead'))
) PARTITION BY RANGE (id);

CREATE TABLE outbox_default PARTITION OF outbox DEFAULT;

-- The month partition (UTC) that holds letters made in `month`. A month whose letters
-- are already in the default partition (made before its partition was) stays there.
CREATE FUNCTION create_outbox_partition(month DATE) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    first TIMESTAMP := date_trunc('month', month);
    lo UUID := uuid_v7_floor(first AT TIME ZONE 'UTC');
    hi UUID := uuid_v7_floor((first + interval '1 month') AT TIME ZONE 'UTC');
    name TEXT := 'outbox_' || to_char(first, '"y"YYYY"m"MM');
BEGIN
    -- Two notifiers starting at once must not both make the partition.
    PERFORM pg_advisory_xact_lock(hashtext('create_outbox_partition'));
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM outbox_default WHERE id >= lo AND id < hi) THEN
        RAISE NOTICE 'outbox: letters of % are in the default partition; no partition made',
            first::date;
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE outbox INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format('ALTER TABLE outbox ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   name, lo, hi);
    RETURN true;
END
$$;

-- This month's partition and the next `months_ahead`; the notifier calls it daily.
CREATE FUNCTION ensure_outbox_partitions(at TIMESTAMPTZ, months_ahead INTEGER) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    made INTEGER := 0;
BEGIN
    FOR i IN 0..months_ahead LOOP
        IF create_outbox_partition(
               (date_trunc('month', at AT TIME ZONE 'UTC') + make_interval(months => i))::date) THEN
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END
$$;

-- Partitions for the months of the letters there are, then from now on.
SELECT create_outbox_partition(m::date)
  FROM (SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') AS m
          FROM outbox_unpartitioned) months;
SELECT ensure_outbox_partitions(now(), 3);

INSERT INTO outbox SELECT * FROM outbox_unpartitioned;
DROP TABLE outbox_unpartitioned;

ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);
-- The claim reads only this index: due rows in order, and their ids.
CREATE INDEX outbox_due ON outbox (next_attempt_at) INCLUDE (id) WHERE status = 'queued';
CREATE INDEX outbox_wave ON outbox (wave_id, status) WHERE wave_id IS NOT NULL;
ALTER TABLE print_letters ADD CONSTRAINT print_letters_outbox_id_fkey
    FOREIGN KEY (outbox_id) REFERENCES outbox (id);

------------------------------------------------------------------------------------------
-- citizens

ALTER TABLE citizens RENAME TO citizens_unpartitioned;

CREATE TABLE citizens (
    cpr                TEXT NOT NULL,
    given_name         TEXT NOT NULL,
    family_name        TEXT NOT NULL,
    address            TEXT NOT NULL,
    postcode           TEXT NOT NULL,
    city               TEXT NOT NULL DEFAULT '',
    municipality_code  SMALLINT NOT NULL,
    birth_date         DATE NOT NULL,
    digital_post       TEXT NOT NULL CHECK (digital_post IN ('digital', 'exempt')),
    nemsms             BOOLEAN NOT NULL DEFAULT false,
    language           TEXT NOT NULL DEFAULT 'da' CHECK (language IN ('da', 'en')),
    priority_groups    TEXT[] NOT NULL DEFAULT '{}'
) PARTITION BY HASH (cpr);

DO $$
BEGIN
    FOR i IN 0..7 LOOP
        EXECUTE format('CREATE TABLE citizens_p%s PARTITION OF citizens '
                       'FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i);
    END LOOP;
END
$$;

INSERT INTO citizens SELECT * FROM citizens_unpartitioned;
DROP TABLE citizens_unpartitioned;

ALTER TABLE citizens ADD CONSTRAINT citizens_pkey PRIMARY KEY (cpr);
CREATE INDEX citizens_birth_date ON citizens (birth_date);
CREATE INDEX citizens_municipality ON citizens (municipality_code);

------------------------------------------------------------------------------------------
-- the test and vaccination registers

ALTER TABLE register_tests RENAME TO register_tests_unpartitioned;
ALTER SEQUENCE register_tests_id_seq OWNED BY NONE;

CREATE TABLE register_tests (
    id                BIGINT NOT NULL DEFAULT nextval('register_tests_id_seq'),
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
    booking_id        UUID,
    content_hash      BYTEA NOT NULL,
    status            TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'corrected', 'entered_in_error')),
    superseded_by     BIGINT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
) PARTITION BY HASH (sender, sender_record_id);

ALTER TABLE register_vaccinations RENAME TO register_vaccinations_unpartitioned;
ALTER SEQUENCE register_vaccinations_id_seq OWNED BY NONE;

CREATE TABLE register_vaccinations (
    id                BIGINT NOT NULL DEFAULT nextval('register_vaccinations_id_seq'),
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
    booking_id        UUID,
    content_hash      BYTEA NOT NULL,
    status            TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'corrected', 'entered_in_error')),
    superseded_by     BIGINT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
) PARTITION BY HASH (sender, sender_record_id);

DO $$
DECLARE
    reg TEXT;
BEGIN
    FOREACH reg IN ARRAY ARRAY['register_tests', 'register_vaccinations'] LOOP
        FOR i IN 0..3 LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I '
                           'FOR VALUES WITH (MODULUS 4, REMAINDER %s)', reg || '_p' || i, reg, i);
        END LOOP;
    END LOOP;
END
$$;

INSERT INTO register_tests SELECT * FROM register_tests_unpartitioned;
INSERT INTO register_vaccinations SELECT * FROM register_vaccinations_unpartitioned;
DROP TABLE register_tests_unpartitioned;
DROP TABLE register_vaccinations_unpartitioned;
ALTER SEQUENCE register_tests_id_seq OWNED BY register_tests.id;
ALTER SEQUENCE register_vaccinations_id_seq OWNED BY register_vaccinations.id;

ALTER TABLE register_tests
    ADD CONSTRAINT register_tests_pkey PRIMARY KEY (id, sender, sender_record_id);
CREATE UNIQUE INDEX register_tests_sender_record
    ON register_tests (sender, sender_record_id) WHERE status <> 'corrected';
CREATE INDEX register_tests_cpr ON register_tests (cpr, sample_time DESC) WHERE status = 'active';
-- A correction is a version of the same sender's record, so in the same partition.
ALTER TABLE register_tests ADD CONSTRAINT register_tests_superseded_by_fkey
    FOREIGN KEY (superseded_by, sender, sender_record_id)
    REFERENCES register_tests (id, sender, sender_record_id);

ALTER TABLE register_vaccinations
    ADD CONSTRAINT register_vaccinations_pkey PRIMARY KEY (id, sender, sender_record_id);
CREATE UNIQUE INDEX register_vaccinations_sender_record
    ON register_vaccinations (sender, sender_record_id) WHERE status <> 'corrected';
CREATE INDEX register_vaccinations_cpr
    ON register_vaccinations (cpr, vaccinated_on DESC, dose_number DESC) WHERE status = 'active';
ALTER TABLE register_vaccinations ADD CONSTRAINT register_vaccinations_superseded_by_fkey
    FOREIGN KEY (superseded_by, sender, sender_record_id)
    REFERENCES register_vaccinations (id, sender, sender_record_id);
