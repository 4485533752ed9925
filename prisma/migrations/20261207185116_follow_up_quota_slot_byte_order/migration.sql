-- The places of a sampling quota are "<key>#1", "<key>#2", and so on: counting them is counting the texts from
-- "<key>#" up to, not including, "<key>$" (the dollar sign follows the hash sign). That range holds exactly the
-- texts starting with "<key>#" only in byte order, which the default collation of the database need not follow,
-- so a prefix count (LIKE) read the whole unique index. In byte order ("C") the unique index answers the range,
-- and equal texts are equal in either order, so the index keeps every place unique as before.
ALTER TABLE "FollowUp" ALTER COLUMN "quotaSlot" SET DATA TYPE TEXT COLLATE "C";
