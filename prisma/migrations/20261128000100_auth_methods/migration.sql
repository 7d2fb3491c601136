-- CreateTable
CREATE TABLE "auth_methods" (
    "id" TEXT NOT NULL,
    "issuer_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "enabled_login" BOOLEAN NOT NULL,
    "enabled_signup" BOOLEAN NOT NULL,
    "featured" BOOLEAN NOT NULL,
    "first_factor_only" BOOLEAN NOT NULL,
    "settings" JSONB NOT NULL,
    "secrets" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "auth_methods_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "auth_methods_issuer_id_id_idx" ON "auth_methods"("issuer_id", "id");

-- Names are unique per issuer, case-insensitively (409 name_taken). Not expressible in schema.prisma.
CREATE UNIQUE INDEX "auth_methods_issuer_id_lower_name_key" ON "auth_methods"("issuer_id", lower("name"));

-- At most one auth method of each singleton type per issuer (409 auth_method_exists),
-- enforced here as well as by the service. Not expressible in schema.prisma.
CREATE UNIQUE INDEX "auth_methods_issuer_id_singleton_method_key" ON "auth_methods"("issuer_id", "method")
    WHERE "method" IN ('password', 'temporary_password', 'email_link', 'email_otp', 'sms_otp', 'passkey', 'totp', 'backup_codes');

-- AddForeignKey
ALTER TABLE "auth_methods" ADD CONSTRAINT "auth_methods_issuer_id_fkey" FOREIGN KEY ("issuer_id") REFERENCES "issuers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
