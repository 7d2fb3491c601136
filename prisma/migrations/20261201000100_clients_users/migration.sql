-- CreateTable
CREATE TABLE "clients" (
    "id" TEXT NOT NULL,
    "issuer_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "application_type" TEXT NOT NULL,
    "redirect_uris" TEXT[],
    "post_logout_redirect_uris" TEXT[],
    "allowed_origins" TEXT[],
    "grant_types" TEXT[],
    "token_endpoint_auth_method" TEXT NOT NULL,
    "scopes" TEXT[],
    "access_token_ttl_seconds" INTEGER NOT NULL,
    "id_token_ttl_seconds" INTEGER NOT NULL,
    "secret_hash" BYTEA,
    "previous_secret_hash" BYTEA,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "metadata" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "clients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "issuer_id" TEXT NOT NULL,
    "email" TEXT,
    "email_verified" BOOLEAN NOT NULL,
    "phone_number" TEXT,
    "phone_verified" BOOLEAN NOT NULL,
    "name" TEXT,
    "given_name" TEXT,
    "family_name" TEXT,
    "picture" TEXT,
    "status" TEXT NOT NULL,
    "password_hash" TEXT,
    "password_history" TEXT[],
    "temporary_password_hash" TEXT,
    "temporary_password_expires_at" TIMESTAMPTZ(3),
    "metadata" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_sign_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_factors" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "secret" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "user_factors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_identities" (
    "user_id" TEXT NOT NULL,
    "auth_method_id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_identities_pkey" PRIMARY KEY ("auth_method_id","subject")
);

-- CreateIndex
CREATE INDEX "clients_issuer_id_id_idx" ON "clients"("issuer_id", "id" DESC);

-- CreateIndex
CREATE INDEX "users_issuer_id_id_idx" ON "users"("issuer_id", "id" DESC);

-- CreateIndex
CREATE INDEX "users_issuer_id_status_id_idx" ON "users"("issuer_id", "status", "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "users_issuer_id_phone_number_key" ON "users"("issuer_id", "phone_number");

-- CreateIndex
CREATE INDEX "user_factors_user_id_id_idx" ON "user_factors"("user_id", "id");

-- CreateIndex
CREATE INDEX "user_identities_user_id_idx" ON "user_identities"("user_id");

-- Emails are unique per issuer, case-insensitively (409 email_taken); the list's `email` filter
-- (at most one row, then) reads the same index. Not expressible in schema.prisma.
CREATE UNIQUE INDEX "users_issuer_id_lower_email_key" ON "users"("issuer_id", lower("email"));

-- AddForeignKey
ALTER TABLE "clients" ADD CONSTRAINT "clients_issuer_id_fkey" FOREIGN KEY ("issuer_id") REFERENCES "issuers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_issuer_id_fkey" FOREIGN KEY ("issuer_id") REFERENCES "issuers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_factors" ADD CONSTRAINT "user_factors_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_identities" ADD CONSTRAINT "user_identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_identities" ADD CONSTRAINT "user_identities_auth_method_id_fkey" FOREIGN KEY ("auth_method_id") REFERENCES "auth_methods"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- `usr_` now names a pool user (api-contract §1): operators of the admin UI take `op_`.
-- admin_sessions.admin_user_id follows through its ON UPDATE CASCADE foreign key.
UPDATE "admin_users" SET "id" = 'op_' || substr("id", 5) WHERE "id" LIKE 'usr\_%';
