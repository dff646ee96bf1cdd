-- Opening a wave inserts a million invitations and a million letters at once. A foreign
-- key costs one trigger call per inserted row: about a third of an opening's time. These
-- rows are written only from a wave row the opening holds locked (and the campaign that
-- row names), so the references hold by construction; the one way left to break them,
-- deleting a wave or a campaign, is refused instead.
ALTER TABLE invitations
    DROP CONSTRAINT invitations_campaign_id_fkey,
    DROP CONSTRAINT invitations_wave_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_wave_id_fkey;

CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted: invitations and letters refer to them', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER waves_never_deleted BEFORE DELETE ON waves
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
CREATE TRIGGER campaigns_never_deleted BEFORE DELETE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
