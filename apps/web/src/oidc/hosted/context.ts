import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthMethodType, PoolUser } from "@authpi/domain";
import type {
  BackupCodesSignIn,
  Clock,
  ConfiguredMethod,
  EmailVerification,
  FactorStore,
  Federation,
  IssuerSnapshot,
  Mailer,
  PasswordSignIn,
  PooledProvider,
  ProviderPool,
  RememberedDevices,
  SignInAttempts,
  SignInState,
  SignInStates,
  SmsSender,
  TotpSignIn,
  UserDirectory,
  WebAuthn,
} from "@authpi/server";
import type { Logger } from "../../logger.ts";

/**
 * What the hosted sign-in pages are built from: one object, made once by `createSignInDeps`
 * (deps.ts) for the server and for the tests. A method that needs more (an SMS sender, upstream
 * endpoints) adds it there.
 */
export interface SignInDeps {
  pool: ProviderPool;
  users: UserDirectory;
  passwords: PasswordSignIn;
  verification: EmailVerification;
  states: SignInStates;
  factors: FactorStore;
  mailer: Mailer;
  attempts: SignInAttempts;
  clock: Clock;
  logger: Logger;
  /** Trust X-Forwarded-For for the client IP (sign-in limits). */
  trustProxy: boolean;
  /** Passkey ceremonies (methods/passkey.ts). */
  webauthn: WebAuthn;
  totp: TotpSignIn;
  backupCodes: BackupCodesSignIn;
  rememberedDevices: RememberedDevices;
  /** Text messages (sms_otp codes): `SMS_WEBHOOK_URL`, or the outbox. */
  sms: SmsSender;
  /** The federated methods' upstreams (oidc, oauth2_manual, github, apple, oauth2). */
  federation: Federation;
}

/** One request to a step of one sign-in (`/oidc/{issuer}/interaction/{uid}/{step}[/{arg}]`). */
export interface StepContext {
  req: IncomingMessage;
  res: ServerResponse;
  pooled: PooledProvider;
  issuer: IssuerSnapshot;
  deps: SignInDeps;
  uid: string;
  /** The path of this sign-in's pages: `/oidc/{issuer}/interaction/{uid}`. */
  base: string;
  /** The CSRF token every form of this sign-in carries (checked before any POST step runs). */
  csrf: string;
  /** The third path segment, when the step takes one (an auth method id). */
  arg: string | undefined;
  query: URLSearchParams;
  /** The POSTed form (CSRF already checked); empty on GET. */
  form: URLSearchParams;
  ip: string;
  /** The branded name of the issuer (mails, page titles). */
  displayName: string;
  /** This sign-in's state, loaded before the step runs; call `save()` after changing it. */
  state: SignInState;
  save(): Promise<void>;

  /** A branded page: `title` in the layout, `body` HTML (every value in it escaped by its author). */
  page(status: number, title: string, body: string, headers?: Record<string, string>): void;
  /** The branded error page. */
  fail(status: number, error: string, description: string): void;
  /** 303 to a path or URL. */
  redirect(to: string): void;

  /** The issuer's auth method of this type when it is enabled for sign-in (`for: "signup"`: for sign-up). */
  enabled(method: AuthMethodType, purpose?: "login" | "signup"): ConfiguredMethod | undefined;
  /** Whether the issuer's sign-up policy lets new users in through this method. */
  signUpAllowed(method: ConfiguredMethod): boolean;
  /**
   * The sign-in page again (every method's entry), with an error above them: a method whose own
   * form is on that page answers a wrong attempt with it.
   */
  showSignIn(status: number, error?: string, headers?: Record<string, string>): void;

  /**
   * The first factor identified this user (a password, a code, a link, a passkey, an upstream
   * identity): the rest of the sign-in follows (password change, email verification, MFA, tokens).
   * `multiFactor`: this first factor proved two factors by itself (a passkey with user
   * verification), so no second factor is asked. A second factor passed earlier in this sign-in
   * counts only for the same user.
   */
  firstFactorPassed(
    user: PoolUser,
    via: {
      method: ConfiguredMethod;
      amr: string[];
      multiFactor?: boolean;
      /** Signed in with a temporary password: a real one must be chosen before anything else. */
      mustChangePassword?: boolean;
    },
  ): Promise<void>;
  /** A second factor was proven in this sign-in: the rest follows. */
  secondFactorPassed(via: { method: ConfiguredMethod; amr: string[] }): Promise<void>;
  /** Goes on from the state as it is (after a step of its own, e.g. a password change). */
  proceed(): Promise<void>;
  /** The second factors the issuer offers (enabled, not first-factor-only), each with its hosted entry. */
  secondFactors(): { method: ConfiguredMethod; entry: SecondFactorEntry }[];
  /**
   * Whether this sign-in may enrol a second factor: the first factor is passed, MFA is not off,
   * and the user has no enrolled factor the issuer offers or has proven one in this sign-in —
   * never someone holding only the password adding their own factor to skip the owner's. Every
   * enrolment step checks it on GET and POST.
   */
  mayEnrolSecondFactor(): Promise<boolean>;
  /**
   * A second factor was just enrolled (and proven by its first use): this sign-in has passed MFA;
   * the issuer's recovery factor (backup codes) is offered next while the user has none.
   */
  secondFactorEnrolled(via: {
    method: ConfiguredMethod;
    amr: string[];
    factorType: SecondFactorEntry["factorType"];
  }): Promise<void>;
}

export interface Step {
  GET?(ctx: StepContext): Promise<void>;
  POST?(ctx: StepContext): Promise<void>;
}

/** What the sign-in page and the MFA pages show of a method. */
export interface SecondFactorEntry {
  /** The factor type users enrol with this method. */
  factorType: "totp" | "passkey" | "backup_codes";
  /** A label for the chooser ("Authenticator app"). */
  label: string;
  /** The step that challenges an enrolled factor, and the one that enrols a new one. */
  challengeStep: string;
  enrolStep: string;
  /**
   * A recovery factor (backup codes): enrolled right after another factor, and offered on its own
   * for enrolment only when the issuer offers no other.
   */
  recovery?: boolean;
}

/**
 * One kind of auth method on the hosted pages (methods/*.ts): its part of the sign-in page, its
 * part of the sign-up page, its steps, and, for a second factor, its MFA entry. A method's steps
 * check for themselves that the method is enabled (`ctx.enabled`): a crafted POST to a disabled
 * method's step is refused like a missing page.
 */
export interface HostedMethod {
  /** The auth-method types it serves. */
  methods: readonly AuthMethodType[];
  /** Its fragment of the sign-in page for one enabled auth method (HTML, values escaped). */
  signInEntry?(ctx: StepContext, method: ConfiguredMethod): string;
  /** Its fragment of the sign-up page for one auth method enabled for sign-up. */
  signUpEntry?(ctx: StepContext, method: ConfiguredMethod): string;
  /** Its steps, by path segment. */
  steps: Record<string, Step>;
  secondFactor?: SecondFactorEntry;
  /**
   * A step to offer once nothing else stands before the tokens ("add a passkey"), or undefined.
   * The flow redirects there; that step calls `ctx.proceed()` when done or skipped, and must make
   * this return undefined for the rest of the sign-in.
   */
  beforeTokens?(ctx: StepContext, user: PoolUser): Promise<string | undefined>;
}
