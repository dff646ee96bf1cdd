-- Notifier delivery state. Paper letters: which print batch a letter was put in, so a
-- worker that crashed after writing a batch but before marking the row finds the batch
-- on disk and does not print the letter twice. NemSMS: when the extra SMS notice went
-- out (the per-wave SMS figure).

CREATE TABLE print_letters (
    outbox_id    UUID PRIMARY KEY REFERENCES outbox (id),
    batch_id     UUID NOT NULL,
    pages        INTEGER NOT NULL CHECK (pages > 0),
    assigned_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX print_letters_batch ON print_letters (batch_id);

ALTER TABLE outbox ADD COLUMN nemsms_sent_at TIMESTAMPTZ;

-- The reminder sweep looks for invitations not yet reminded, oldest first.
CREATE INDEX invitations_unreminded ON invitations (invited_at) WHERE reminded_at IS NULL;
