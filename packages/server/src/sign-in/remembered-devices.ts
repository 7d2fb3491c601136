import { createHash, randomBytes } from "node:crypto";
import type { Db } from "@authpi/db";
import type { Clock } from "../clock.ts";

const MODEL = "RememberedDevice";
const DAY_MS = 86_400_000;

/** Signs with the issuer's cookie keys (the provider pool's `signature` / `signatureValid`). */
export interface IssuerSigner {
  signature(issuerId: string, data: string): string;
  signatureValid(issuerId: string, data: string, presented: unknown): boolean;
}

/**
 * "Remember this device" (`mfa.remember_device_days`): after a second factor, the browser gets a
 * cookie naming the user, a device id and when it was remembered, signed with the issuer's cookie
 * key over the user's current factors. A later sign-in of that user on that device skips MFA while:
 * - it was remembered less than the issuer's `remember_device_days` ago — the setting in force at
 *   that sign-in, so lowering it (or 0) shortens the devices already remembered — and less than
 *   the days in force when it was remembered (the row's expiry);
 * - the user's factors are the ones signed (removing or adding one asks again);
 * - the device's row still exists: it is an `oidc_artifacts` row with the user as account, so
 *   revoking the user's sessions, blocking or deleting the user removes it with their sessions.
 */
export function createRememberedDevices(db: Db, signer: IssuerSigner, clock: Clock) {
  const fingerprint = (factorIds: readonly string[]) =>
    createHash("sha256")
      .update([...factorIds].sort().join(","))
      .digest("base64url");
  const signed = (userId: string, deviceId: string, rememberedAt: number, factorIds: readonly string[]) =>
    `remembered-device:${userId}:${deviceId}:${rememberedAt}:${fingerprint(factorIds)}`;

  return {
    /** A device to remember for `days`: the cookie value, and how long the browser should keep it. */
    async remember(
      issuerId: string,
      userId: string,
      factorIds: readonly string[],
      days: number,
    ): Promise<{ value: string; maxAgeSeconds: number }> {
      const deviceId = randomBytes(18).toString("base64url");
      const rememberedAt = clock().getTime();
      const expiresAt = new Date(rememberedAt + days * DAY_MS);
      await db.oidcArtifact.create({
        data: { issuerId, model: MODEL, id: deviceId, payload: {}, accountId: userId, expiresAt },
      });
      const signature = signer.signature(issuerId, signed(userId, deviceId, rememberedAt, factorIds));
      return { value: `${userId}.${deviceId}.${rememberedAt}.${signature}`, maxAgeSeconds: days * 86_400 };
    },

    /**
     * Whether `value` (the cookie) remembers this user, with these factors, on this device now,
     * under the issuer's current `remember_device_days` (`days`).
     */
    async recognises(
      issuerId: string,
      userId: string,
      value: string | undefined,
      factorIds: readonly string[],
      days: number,
    ): Promise<boolean> {
      const [owner, deviceId, remembered, signature, ...rest] = (value ?? "").split(".");
      const rememberedAt = Number(remembered);
      if (owner !== userId || !deviceId || !Number.isSafeInteger(rememberedAt) || rest.length > 0) return false;
      if (factorIds.length === 0 || rememberedAt + days * DAY_MS <= clock().getTime()) return false;
      if (!signer.signatureValid(issuerId, signed(userId, deviceId, rememberedAt, factorIds), signature)) return false;
      const row = await db.oidcArtifact.findUnique({
        where: { issuerId_model_id: { issuerId, model: MODEL, id: deviceId } },
        select: { accountId: true, expiresAt: true },
      });
      return row?.accountId === userId && (row.expiresAt?.getTime() ?? 0) > clock().getTime();
    },
  };
}

export type RememberedDevices = ReturnType<typeof createRememberedDevices>;
