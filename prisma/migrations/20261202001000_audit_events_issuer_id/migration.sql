-- The issuer an event belongs to: the issuer itself, or the issuer of the auth method, client,
-- user or signing key it changed; null for account-level resources (account, API keys, operators).
-- No foreign key: an issuer's events outlive its purge.
ALTER TABLE "audit_events" ADD COLUMN "issuer_id" TEXT;

-- Existing events, where the issuer can still be derived: issuer events name it as their
-- resource; the others through their resource, while it exists.
UPDATE "audit_events" SET "issuer_id" = "resource_id" WHERE "resource_type" = 'issuer';
UPDATE "audit_events" e SET "issuer_id" = r."issuer_id"
  FROM "auth_methods" r WHERE e."resource_type" = 'auth_method' AND e."resource_id" = r."id";
UPDATE "audit_events" e SET "issuer_id" = r."issuer_id"
  FROM "clients" r WHERE e."resource_type" = 'client' AND e."resource_id" = r."id";
UPDATE "audit_events" e SET "issuer_id" = r."issuer_id"
  FROM "users" r WHERE e."resource_type" = 'user' AND e."resource_id" = r."id";

-- Keyset pages of one issuer's events, newest first (the issuer's Activity tab).
CREATE INDEX "audit_events_account_id_issuer_id_id_idx" ON "audit_events"("account_id", "issuer_id", "id" DESC);
