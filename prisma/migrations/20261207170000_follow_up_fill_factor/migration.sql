-- A claim of due follow-ups changes only leaseExpiresAt and updatedAt, which no index holds. With room
-- left on each page PostgreSQL writes the new row version beside the old one, a HOT update that touches
-- no index. Pages filled completely, the default, leave no room, so every claimed row was written into
-- every index, and once more when it was activated. Pages written from now on keep the room.
ALTER TABLE "FollowUp" SET (fillfactor = 50);
