-- DropIndex
DROP INDEX "LedgerEntry_topic_partition_offset_idx";

