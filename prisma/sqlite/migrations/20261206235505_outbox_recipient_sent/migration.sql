-- CreateIndex
CREATE INDEX "OutboxMessage_recipientId_kind_sentAt_idx" ON "OutboxMessage"("recipientId", "kind", "sentAt");
