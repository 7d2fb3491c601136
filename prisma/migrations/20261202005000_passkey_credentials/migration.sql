-- Passkeys (WebAuthn credentials) are user factors; a sign-in with a discoverable credential finds
-- its factor by the credential id the authenticator returns. Credential ids are random values the
-- authenticator makes (≥ 16 bytes): unique across the whole table, so a crafted registration that
-- reuses another user's id is refused instead of making the lookup ambiguous.
ALTER TABLE "user_factors" ADD COLUMN "credential_id" TEXT;

CREATE UNIQUE INDEX "user_factors_credential_id_key" ON "user_factors"("credential_id");
