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

/**
 * Another request of the same sign-in saved its state first (a double submit, or an attacker's
 * parallel guesses): this request's reading is stale, so nothing it decided may count.
 */
export class SignInMovedOn extends Error {
  constructor() {
    super("the sign-in's state changed in another request");
    this.name = "SignInMovedOn";
  }
}

/** A loaded state and the revision it was read at (0: nothing saved yet). */
export interface LoadedSignInState {
  state: SignInState;
  revision: number;
}

/**
 * The sign-in states, as rows of `oidc_artifacts` beside the provider's own interaction. Each save
 * is conditional on the revision it was loaded at, so the requests of one sign-in are serialised:
 * of two that read the same state, the second to save gets `SignInMovedOn`. That is what makes
 * an attempt counter (a code's `max_attempts`) hold against parallel requests, and a code, link
 * or challenge pass once.
 */
export function createSignInStates(db: Db, now: () => Date = () => new Date()) {
  const key = (issuerId: string, uid: string) => ({ issuerId_model_id: { issuerId, model: MODEL, id: uid } });

  return {
    async load(issuerId: string, uid: string): Promise<LoadedSignInState> {
      const row = await db.oidcArtifact.findUnique({ where: key(issuerId, uid) });
      if (!row) return { state: emptySignInState(), revision: 0 };
      const { revision, ...saved } = row.payload as unknown as Partial<SignInState> & { revision?: number };
      const expired = row.expiresAt !== null && row.expiresAt.getTime() <= now().getTime();
      return { state: expired ? emptySignInState() : { ...emptySignInState(), ...saved }, revision: revision ?? 1 };
    },

    /** Saves `state` over the one read at `revision`; the new revision. */
    async save(issuerId: string, uid: string, state: SignInState, revision: number): Promise<number> {
      const next = revision + 1;
      const payload = { ...state, revision: next } as unknown as Prisma.InputJsonObject;
      if (revision === 0) {
        const created = await db.oidcArtifact.createMany({
          data: [
            {
              issuerId,
              model: MODEL,
              id: uid,
              uid,
              payload,
              accountId: state.userId,
              expiresAt: new Date(now().getTime() + SIGN_IN_TTL_SECONDS * 1000),
            },
          ],
          skipDuplicates: true,
        });
        if (created.count !== 1) throw new SignInMovedOn();
        return next;
      }
      const { count } = await db.oidcArtifact.updateMany({
        where: { issuerId, model: MODEL, id: uid, payload: { path: ["revision"], equals: revision } },
        data: { payload, accountId: state.userId },
      });
      if (count !== 1) throw new SignInMovedOn();
      return next;
    },

    /** The sign-in is over (tokens issued or abandoned): nothing of it stays. */
    async clear(issuerId: string, uid: string): Promise<void> {
      await db.oidcArtifact.deleteMany({ where: { issuerId, model: MODEL, id: uid } });
    },
  };
}

export type SignInStates = ReturnType<typeof createSignInStates>;
