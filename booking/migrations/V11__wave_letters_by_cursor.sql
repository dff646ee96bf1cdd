-- Opening a wave writes one row per citizen: the invitation. Its letter is written into
-- the outbox afterwards by the notifier, which walks the wave's invitations in CPR order
-- from a cursor kept on the wave row (as the reminder sweep does, V10). The invitation
-- rows, committed with the opening, are the durable record of what must be sent; the
-- letter and the cursor move in one transaction, so each invitation gets exactly one
-- letter, and a wave closed before its letters are written sends no more of them.
--
-- Why: one part of 250,000 wrote five WAL records per citizen (two heap rows, three
-- index entries), of which the letter was three. Writing letters as the workers need
-- them also keeps the outbox short, so a booking confirmation made during an opening
-- is not queued behind a million invitation letters.
ALTER TABLE waves
    ADD COLUMN letters_cursor TEXT NOT NULL DEFAULT '',
    ADD COLUMN letters_done_at TIMESTAMPTZ;

-- Waves opened before this migration wrote their letters at opening.
UPDATE waves SET letters_done_at = opened_at WHERE opened_at IS NOT NULL;
