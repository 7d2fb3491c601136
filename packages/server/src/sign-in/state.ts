import type { Db, Prisma } from "@authpi/db";
import type { AuthMethodType } from "@authpi/domain";

/** How long a sign-in may take, start to finish (the provider's Interaction TTL). */
export const SIGN_IN_TTL_SECONDS = 3600;

const MODEL = "SignInState";

/**
 * What the hosted pages know about one sign-in (one provider interaction, by its uid) between
 * two requests. The steps read and write it; nothing in it is secret in the clear: a method keeps
 * only hashes of what it sent (codes, links) and challenges it checks later.
 */
export interface SignInState {
  /** The user the first factor identified; null until then. */
  userId: string | null;
  /** How the first factor was passed (`password`, `email_otp`, …) and with which auth method. */
  firstFactor: { method: AuthMethodType; authMethodId: string } | null;
  /** RFC 8176 method references gathered so far (`pwd`, `otp`, `hwk`, `mfa`, …). */
  amr: string[];
  /** A second factor was passed in this sign-in (or a remembered device stood for it). */
  secondFactorPassed: boolean;
  /** A pending temporary password must be replaced before anything else. */
  mustChangePassword: boolean;
  /** Each method's own data for this sign-in (keyed by the method's name, e.g. `email_otp`). */
  scratch: Record<string, unknown>;
}

export const emptySignInState = (): SignInState => ({
  userId: null,
  firstFactor: null,
  amr: [],
  secondFactorPassed: false,
  mustChangePassword: false,
  scratch: {},
});

/** The sign-in states, as rows of `oidc_artifacts` beside the provider's own interaction. */
export function createSignInStates(db: Db, now: () => Date = () => new Date()) {
  const key = (issuerId: string, uid: string) => ({ issuerId_model_id: { issuerId, model: MODEL, id: uid } });

  return {
    async load(issuerId: string, uid: string): Promise<SignInState> {
      const row = await db.oidcArtifact.findUnique({ where: key(issuerId, uid) });
      if (!row || (row.expiresAt && row.expiresAt.getTime() <= now().getTime())) return emptySignInState();
      return { ...emptySignInState(), ...(row.payload as unknown as Partial<SignInState>) };
    },

    async save(issuerId: string, uid: string, state: SignInState): Promise<void> {
      const payload = state as unknown as Prisma.InputJsonObject;
      await db.oidcArtifact.upsert({
        where: key(issuerId, uid),
        create: {
          issuerId,
          model: MODEL,
          id: uid,
          uid,
          payload,
          accountId: state.userId,
          expiresAt: new Date(now().getTime() + SIGN_IN_TTL_SECONDS * 1000),
        },
        update: { payload, accountId: state.userId },
      });
    },

    /** The sign-in is over (tokens issued or abandoned): nothing of it stays. */
    async clear(issuerId: string, uid: string): Promise<void> {
      await db.oidcArtifact.deleteMany({ where: { issuerId, model: MODEL, id: uid } });
    },
  };
}

export type SignInStates = ReturnType<typeof createSignInStates>;
