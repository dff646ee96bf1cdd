-- The reminder sweep goes wave by wave, in CPR order through the campaign's partition
-- (notifier/src/store.rs), instead of through an index over every unreminded
-- invitation: that index took a million entries from each opening.
ALTER TABLE waves
    ADD COLUMN reminder_cursor TEXT NOT NULL DEFAULT '',
    ADD COLUMN reminders_done_at TIMESTAMPTZ;
DROP INDEX invitations_unreminded;
