-- The periodic reconcile reads, each minute, the versions of the slots still ahead and
-- the holds confirmed in the last minutes. Without these indexes both were scans of the
-- whole table, growing all season. Neither indexes a column that an update changes, so
-- a slot's place count still updates in place (HOT), and a BRIN index costs an insert
-- next to nothing: bookings arrive in created_at order.
CREATE INDEX slots_ends_at ON slots (ends_at);
CREATE INDEX bookings_created_at ON bookings USING brin (created_at);
