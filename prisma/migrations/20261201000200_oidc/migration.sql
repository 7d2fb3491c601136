-- CreateTable
CREATE TABLE "oidc_artifacts" (
    "issuer_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "grant_id" TEXT,
    "account_id" TEXT,
    "client_id" TEXT,
    "uid" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "consumed_at" TIMESTAMPTZ(3),

    CONSTRAINT "oidc_artifacts_pkey" PRIMARY KEY ("issuer_id","model","id")
);

-- CreateTable
CREATE TABLE "oidc_signing_keys" (
    "id" TEXT NOT NULL,
    "issuer_id" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_jwk" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "rotated_at" TIMESTAMPTZ(3),
    "retire_after" TIMESTAMPTZ(3),

    CONSTRAINT "oidc_signing_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "oidc_artifacts_issuer_id_model_uid_idx" ON "oidc_artifacts"("issuer_id", "model", "uid");

-- CreateIndex
CREATE INDEX "oidc_artifacts_issuer_id_grant_id_idx" ON "oidc_artifacts"("issuer_id", "grant_id");

-- CreateIndex
CREATE INDEX "oidc_artifacts_issuer_id_account_id_idx" ON "oidc_artifacts"("issuer_id", "account_id");

-- CreateIndex
CREATE INDEX "oidc_artifacts_issuer_id_client_id_idx" ON "oidc_artifacts"("issuer_id", "client_id");

-- CreateIndex
CREATE INDEX "oidc_artifacts_expires_at_idx" ON "oidc_artifacts"("expires_at");

-- CreateIndex
CREATE INDEX "oidc_signing_keys_issuer_id_created_at_idx" ON "oidc_signing_keys"("issuer_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "oidc_artifacts" ADD CONSTRAINT "oidc_artifacts_issuer_id_fkey" FOREIGN KEY ("issuer_id") REFERENCES "issuers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oidc_signing_keys" ADD CONSTRAINT "oidc_signing_keys_issuer_id_fkey" FOREIGN KEY ("issuer_id") REFERENCES "issuers"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- One current signing key per issuer, so two processes creating the first key at once cannot both win.
CREATE UNIQUE INDEX "oidc_signing_keys_issuer_id_current_key" ON "oidc_signing_keys"("issuer_id") WHERE "status" = 'current';

-- Every process keeps a pool of OpenID Provider instances, one per issuer; a change to an issuer
-- (through any door: REST, tRPC, CLI, purge) tells them all to drop theirs.
CREATE FUNCTION "authpi_oidc_notify_issuer"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('authpi_oidc', COALESCE(NEW."id", OLD."id"));
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "issuers_oidc_notify" AFTER UPDATE OR DELETE ON "issuers"
  FOR EACH ROW EXECUTE FUNCTION "authpi_oidc_notify_issuer"();

-- The hosted pages offer the issuer's auth methods: a change to one drops the cached provider too.
CREATE FUNCTION "authpi_oidc_notify_auth_method"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('authpi_oidc', COALESCE(NEW."issuer_id", OLD."issuer_id"));
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "auth_methods_oidc_notify" AFTER INSERT OR UPDATE OR DELETE ON "auth_methods"
  FOR EACH ROW EXECUTE FUNCTION "authpi_oidc_notify_auth_method"();
