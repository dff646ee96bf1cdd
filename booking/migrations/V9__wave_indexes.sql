-- Opening a wave writes one invitation and one letter per citizen, a million at a time,
-- and every index on them costs each of those rows. Two go:
--
-- invitations_wave: a wave belongs to one campaign, so a wave's invitations are found
-- through its campaign's partition instead (only the wave's figures and closing ask).
DROP INDEX invitations_wave;

-- outbox_wave: a B-tree of a million equal keys (one wave) made every part of an
-- opening wait on the same leaf page. A wave's letters are written together, so a BRIN
-- index over block ranges finds them as well and costs next to nothing per row.
DROP INDEX outbox_wave;
CREATE INDEX outbox_wave ON outbox USING brin (wave_id) WHERE wave_id IS NOT NULL;
