import type { TotpSettings } from "@authpi/domain";
import { generateSecret, generateURI, type HashAlgorithm, verify } from "otplib";
import type { z } from "zod";
import type { Clock } from "../clock.ts";
import { decryptString, encryptString } from "../secrets/cipher.ts";
import type { Keyring } from "../secrets/keyring.ts";
import type { FactorStore, StoredFactor } from "../users/factors.ts";

export type TotpConfig = z.output<typeof TotpSettings>;

/**
 * What a `totp` factor keeps (its secret, as JSON): the key, the settings the app was set up with
 * (a later change of the issuer's settings applies to new enrolments; the app keeps its own), and
 * the last time step accepted.
 */
interface TotpSecret {
  key: string;
  config?: TotpConfig;
  /** RFC 6238 time step of the last accepted code: a code of this step or an older one is refused. */
  lastStep: number;
}

/** How the factor is named in the user resource's `factors`. */
export const TOTP_FACTOR_NAME = "Authenticator app";

/** One step of clock drift either way is accepted (RFC 6238 §5.2); replay is refused by `lastStep`. */
const DRIFT_STEPS = 1;

/** Who the otpauth URI names: the issuer's display name, and the user (their email). */
export interface TotpAccount {
  issuer: string;
  label: string;
  config: TotpConfig;
}

/**
 * TOTP (RFC 6238) enrolment and challenge, with otplib. An enrolment's key is shown only on the
 * enrolment page; until the user confirms it with a first code it is kept sealed (AES-GCM under
 * the keyring, bound to the sign-in's uid) in the sign-in state, and once confirmed only in the
 * factor row (encrypted by the factor store).
 */
export function createTotp(factors: FactorStore, keyring: () => Keyring, clock: Clock) {
  const aad = (uid: string) => `totp-enrolment:${uid}`;
  const algorithmOf = (config: TotpConfig) => config.algorithm.toLowerCase() as HashAlgorithm;

  /** The time step `code` belongs to, when it is a current code of `key` newer than `afterStep`. */
  async function check(key: string, code: string, config: TotpConfig, afterStep?: number): Promise<number | null> {
    const token = code.replace(/\s+/g, "");
    if (token.length !== config.digits || !/^\d+$/.test(token)) return null;
    const result = await verify({
      secret: key,
      token,
      algorithm: algorithmOf(config),
      digits: config.digits,
      period: config.period_seconds,
      epoch: Math.floor(clock().getTime() / 1000),
      epochTolerance: DRIFT_STEPS * config.period_seconds,
      ...(afterStep === undefined ? {} : { afterTimeStep: afterStep }),
    }).catch(() => ({ valid: false as const }));
    return result.valid && "timeStep" in result ? result.timeStep : null;
  }

  function uri(key: string, account: TotpAccount): string {
    return generateURI({
      issuer: account.issuer,
      label: account.label,
      secret: key,
      algorithm: algorithmOf(account.config),
      digits: account.config.digits,
      period: account.config.period_seconds,
    });
  }

  function unseal(sealed: string, uid: string): string | null {
    try {
      return decryptString(keyring(), sealed, aad(uid));
    } catch {
      return null;
    }
  }

  return {
    /** A new key for an enrolment: `sealed` for the sign-in state, `uri` for the enrolment page. */
    begin(uid: string, account: TotpAccount): { sealed: string; uri: string } {
      const key = generateSecret();
      return { sealed: encryptString(keyring(), key, aad(uid)), uri: uri(key, account) };
    },

    /** The otpauth URI of an enrolment begun in this sign-in (its page shown again), else null. */
    reopen(uid: string, sealed: string, account: TotpAccount): string | null {
      const key = unseal(sealed, uid);
      return key === null ? null : uri(key, account);
    },

    /** The user's first code confirms the enrolment: the factor is stored; null for a wrong code. */
    async enrol(
      userId: string,
      input: { uid: string; sealed: string; code: string; config: TotpConfig },
    ): Promise<StoredFactor | null> {
      const key = unseal(input.sealed, input.uid);
      if (key === null) return null;
      const step = await check(key, input.code, input.config);
      if (step === null) return null;
      const secret: TotpSecret = { key, config: input.config, lastStep: step };
      return factors.add(userId, { type: "totp", name: TOTP_FACTOR_NAME, secret: JSON.stringify(secret) });
    },

    /**
     * Whether `code` is a current code of one of the user's TOTP factors, not accepted before
     * (`config`: the issuer's settings, for a factor stored without its own). The
     * accepted step is recorded only if the factor's secret is still the one read: of two
     * concurrent uses of one code, one passes.
     */
    async verify(userId: string, code: string, config: TotpConfig): Promise<boolean> {
      for (const factor of await factors.list(userId, "totp")) {
        if (factor.secret === null) continue;
        const secret = JSON.parse(factor.secret) as TotpSecret;
        const step = await check(secret.key, code, secret.config ?? config, secret.lastStep);
        if (step === null) continue;
        const next: TotpSecret = { ...secret, lastStep: step };
        return factors.used(factor.id, { secret: JSON.stringify(next), expected: factor.secret });
      }
      return false;
    },
  };
}

export type TotpSignIn = ReturnType<typeof createTotp>;
