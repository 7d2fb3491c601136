import {
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { FactorStore, StoredFactor } from "../users/factors.ts";

/**
 * Passkeys (WebAuthn) on top of @simplewebauthn/server: the options a page hands to
 * `navigator.credentials.create/get`, and the checks of what the browser sends back. A credential
 * is a `passkey` factor whose secret is the JSON of `PasskeySecret`; the challenge lives in the
 * sign-in state (`PasskeyChallenge`) and is used at most once.
 */

/** A `passkey` auth method's settings, defaults applied (api-contract §1). */
export interface PasskeySettings {
  rp_id: string;
  rp_name?: string | undefined;
  user_verification: "required" | "preferred" | "discouraged";
  attestation: "none" | "indirect" | "direct";
  authenticator_attachment: "platform" | "cross-platform" | null;
}

/** What a `passkey` factor's (encrypted) secret holds. */
export interface PasskeySecret {
  credentialID: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
}

/** A challenge handed to one page of one sign-in, checked once. */
export interface PasskeyChallenge {
  challenge: string;
  ceremony: "register" | "authenticate";
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** The relying party a sign-in talks to: the configured `rp_id` over the issuer's public origin. */
export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
  settings: PasskeySettings;
}

/** How long the browser may take, and how long the challenge stays valid. */
const CEREMONY_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * The relying party for an issuer whose pages are served at `publicUrl`, or why passkeys cannot
 * work there: a browser only accepts an `rp_id` that is the page's host or a parent domain of it.
 */
export function relyingParty(
  settings: PasskeySettings,
  issuerName: string,
  publicUrl: string,
): { ok: true; rp: RelyingParty } | { ok: false; message: string } {
  const { origin, hostname } = new URL(publicUrl);
  const rpId = settings.rp_id.toLowerCase();
  // A parent domain needs a dot: "com" is never a relying party for "login.example.com".
  const suffix = rpId.includes(".") && hostname.endsWith(`.${rpId}`);
  if (hostname !== rpId && !suffix) {
    return {
      ok: false,
      message: `Passkeys are set up for "${rpId}", but this sign-in runs on "${hostname}". The relying party ID must be this host or a parent domain of it.`,
    };
  }
  return { ok: true, rp: { id: rpId, name: settings.rp_name ?? issuerName, origin, settings } };
}

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/);
const clientResult = {
  id: base64url.min(1).max(1024),
  rawId: base64url.min(1).max(1024),
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
};
const RegistrationResponse = z.object({
  ...clientResult,
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
});
const AuthenticationResponse = z.object({
  ...clientResult,
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
});

function parseJson<T>(schema: z.ZodType<T>, text: string): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const readPasskeySecret = (factor: StoredFactor): PasskeySecret =>
  JSON.parse(factor.secret ?? "{}") as PasskeySecret;

const descriptor = (factor: StoredFactor) => {
  const secret = readPasskeySecret(factor);
  return { id: secret.credentialID, transports: secret.transports as AuthenticatorTransport[] };
};

export type PasskeyFailure =
  /** No challenge, a used or expired one, or one of the other ceremony. */
  | "no_challenge"
  /** Malformed, or the signature, origin, rp ID, challenge or user verification does not check out. */
  | "invalid"
  /** An assertion by a credential nobody in this issuer registered, or not the expected user's. */
  | "unknown_credential"
  /** A registration of a credential that is already registered. */
  | "duplicate";

export function createWebAuthn(factors: FactorStore, clock: Clock) {
  const challengeFor = (options: { challenge: string }, ceremony: PasskeyChallenge["ceremony"]): PasskeyChallenge => ({
    challenge: options.challenge,
    ceremony,
    expiresAt: clock().getTime() + CEREMONY_TIMEOUT_MS,
  });
  const live = (challenge: PasskeyChallenge | null | undefined, ceremony: PasskeyChallenge["ceremony"]) =>
    challenge?.ceremony === ceremony && challenge.expiresAt > clock().getTime() ? challenge : null;
  const requireUserVerification = (rp: RelyingParty) => rp.settings.user_verification === "required";

  return {
    /** Options to register a new passkey for this user (their existing ones excluded). */
    async registrationOptions(
      rp: RelyingParty,
      user: { id: string; name: string; displayName: string },
      options: { discoverable: boolean },
    ): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; challenge: PasskeyChallenge }> {
      const existing = await factors.list(user.id, "passkey");
      const created = await generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userName: user.name,
        userDisplayName: user.displayName,
        userID: new TextEncoder().encode(user.id),
        timeout: CEREMONY_TIMEOUT_MS,
        // The library knows no "indirect": it is set on the options below.
        attestationType: rp.settings.attestation === "direct" ? "direct" : "none",
        excludeCredentials: existing.map(descriptor),
        authenticatorSelection: {
          residentKey: options.discoverable ? "required" : "preferred",
          userVerification: rp.settings.user_verification,
          ...(rp.settings.authenticator_attachment
            ? { authenticatorAttachment: rp.settings.authenticator_attachment }
            : {}),
        },
      });
      const withAttestation = { ...created, attestation: rp.settings.attestation };
      return { options: withAttestation, challenge: challengeFor(created, "register") };
    },

    /** Checks a registration against its challenge and stores the credential as the user's factor. */
    async register(
      rp: RelyingParty,
      challenge: PasskeyChallenge | null | undefined,
      userId: string,
      responseText: string,
    ): Promise<{ ok: true; factor: StoredFactor } | { ok: false; reason: PasskeyFailure }> {
      const expected = live(challenge, "register");
      if (!expected) return { ok: false, reason: "no_challenge" };
      const response = parseJson(RegistrationResponse, responseText);
      if (!response) return { ok: false, reason: "invalid" };
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: expected.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: requireUserVerification(rp),
      }).catch(() => null);
      if (!verification?.verified) return { ok: false, reason: "invalid" };
      const { credential } = verification.registrationInfo;
      const secret: PasskeySecret = {
        credentialID: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString("base64url"),
        counter: credential.counter,
        transports: response.response.transports ?? [],
      };
      try {
        const factor = await factors.add(userId, {
          type: "passkey",
          name: "Passkey",
          secret: JSON.stringify(secret),
          credentialId: credential.id,
        });
        return { ok: true, factor };
      } catch (error) {
        if ((error as { code?: unknown }).code === "P2002") return { ok: false, reason: "duplicate" };
        throw error;
      }
    },

    /**
     * Options to prove a passkey: any discoverable one of this relying party (`allow` null, the
     * first factor), or one of these factors (a second factor).
     */
    async authenticationOptions(
      rp: RelyingParty,
      allow: StoredFactor[] | null,
    ): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challenge: PasskeyChallenge }> {
      const options = await generateAuthenticationOptions({
        rpID: rp.id,
        timeout: CEREMONY_TIMEOUT_MS,
        userVerification: rp.settings.user_verification,
        ...(allow ? { allowCredentials: allow.map(descriptor) } : {}),
      });
      return { options, challenge: challengeFor(options, "authenticate") };
    },

    /**
     * Checks an assertion against its challenge and the stored credential of this issuer (of
     * `expectedUserId` when given), and records the new signature counter: a counter that did not
     * move on, or a concurrent use of the same assertion, is refused.
     */
    async authenticate(
      rp: RelyingParty,
      challenge: PasskeyChallenge | null | undefined,
      input: { issuerId: string; expectedUserId?: string; responseText: string },
    ): Promise<{ ok: true; factor: StoredFactor; userVerified: boolean } | { ok: false; reason: PasskeyFailure }> {
      const expected = live(challenge, "authenticate");
      if (!expected) return { ok: false, reason: "no_challenge" };
      const response = parseJson(AuthenticationResponse, input.responseText);
      if (!response) return { ok: false, reason: "invalid" };
      const factor = await factors.findByCredential(input.issuerId, response.id);
      if (!factor || (input.expectedUserId !== undefined && factor.userId !== input.expectedUserId)) {
        return { ok: false, reason: "unknown_credential" };
      }
      // A discoverable credential names its user: it must be the one the credential was registered for.
      const userHandle = response.response.userHandle;
      if (userHandle && Buffer.from(userHandle, "base64url").toString("utf8") !== factor.userId) {
        return { ok: false, reason: "unknown_credential" };
      }
      const stored = readPasskeySecret(factor);
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: expected.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: requireUserVerification(rp),
        credential: {
          id: stored.credentialID,
          publicKey: Buffer.from(stored.publicKey, "base64url"),
          counter: stored.counter,
          transports: stored.transports as AuthenticatorTransport[],
        },
      }).catch(() => null);
      if (!verification?.verified) return { ok: false, reason: "invalid" };
      const next: PasskeySecret = { ...stored, counter: verification.authenticationInfo.newCounter };
      const recorded = await factors.used(factor.id, { secret: JSON.stringify(next), expected: factor.secret });
      if (!recorded) return { ok: false, reason: "invalid" };
      return { ok: true, factor, userVerified: verification.authenticationInfo.userVerified };
    },
  };
}

export type WebAuthn = ReturnType<typeof createWebAuthn>;
