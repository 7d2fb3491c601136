-- Audit events (api-contract §9): one row per change, written in the change's transaction.
CREATE TABLE "audit_events" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "request_id" TEXT,
    "changes" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- Keyset pages, newest first, per account and per filter.
CREATE INDEX "audit_events_account_id_id_idx" ON "audit_events"("account_id", "id" DESC);
CREATE INDEX "audit_events_account_id_resource_id_id_idx" ON "audit_events"("account_id", "resource_id", "id" DESC);
CREATE INDEX "audit_events_account_id_type_id_idx" ON "audit_events"("account_id", "type", "id" DESC);
CREATE INDEX "audit_events_account_id_actor_id_id_idx" ON "audit_events"("account_id", "actor_id", "id" DESC);
-- The 90-day purge.
CREATE INDEX "audit_events_created_at_idx" ON "audit_events"("created_at");

ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
