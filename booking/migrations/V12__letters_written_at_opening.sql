-- Since V11 the notifier writes a wave's invitation letters from its invitations. A wave
-- whose letters were (partly) written the old way, at opening, must not get a second
-- letter for those citizens: an opening interrupted before V11 and completed after it,
-- or a booking instance of the old version opening a wave during a rolling upgrade.
-- Such waves are listed here, and the notifier's walk skips, for them alone, citizens
-- who already have the wave's invitation letter.
CREATE TABLE wave_letters_at_opening (wave_id BIGINT PRIMARY KEY);

-- The walk writes letters only for opened waves, so an invitation letter of a wave not
-- opened yet comes from an opening of the old version. A table of its own, not a column
-- of the wave: the old opening holds the wave row locked until all its parts are done.
CREATE FUNCTION note_letters_at_opening() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wave_letters_at_opening (wave_id)
    SELECT DISTINCT n.wave_id FROM new_letters n JOIN waves w ON w.id = n.wave_id
     WHERE n.kind = 'invitation' AND w.opened_at IS NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_letters_at_opening AFTER INSERT ON outbox
    REFERENCING NEW TABLE AS new_letters
    FOR EACH STATEMENT EXECUTE FUNCTION note_letters_at_opening();

INSERT INTO wave_letters_at_opening (wave_id)
SELECT w.id FROM waves w
 WHERE w.letters_done_at IS NULL
   AND EXISTS (SELECT 1 FROM outbox o WHERE o.wave_id = w.id AND o.kind = 'invitation');
