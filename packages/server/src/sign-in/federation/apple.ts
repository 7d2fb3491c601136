import { createRemoteJWKSet, importPKCS8, jwtVerify, SignJWT } from "jose";
import type { ConfiguredMethod } from "../../oidc/provider.ts";
import { exchangeCode } from "./oauth2-http.ts";
import {
  isVerified,
  rebase,
  settingString,
  UPSTREAM_TIMEOUT_MS,
  type UpstreamAdapter,
  UpstreamError,
} from "./upstream.ts";

/** Apple's identifier in its tokens and the audience of the client secret, whatever URL serves it. */
export const APPLE_ISSUER = "https://appleid.apple.com";

/** Apple accepts a client secret valid for at most six months; one per exchange needs minutes. */
const CLIENT_SECRET_TTL_SECONDS = 300;

/**
 * The client secret Apple asks for: an ES256 JWT signed with the Sign in with Apple key (kid
 * key_id), iss the team, sub the Services ID, aud Apple ("Creating a client secret").
 */
export async function appleClientSecret(method: ConfiguredMethod, now: Date): Promise<string> {
  const key = await importPKCS8(settingString(method, "private_key"), "ES256");
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: settingString(method, "key_id") })
    .setIssuer(settingString(method, "team_id"))
    .setSubject(settingString(method, "client_id"))
    .setAudience(APPLE_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + CLIENT_SECRET_TTL_SECONDS)
    .sign(key);
}

/** The `user` field of Apple's first form_post: the name, given only once, and never verified. */
function appleUserName(raw: string | undefined): { givenName: string | null; familyName: string | null } {
  try {
    const name = (JSON.parse(raw ?? "{}") as { name?: { firstName?: unknown; lastName?: unknown } }).name;
    return {
      givenName: typeof name?.firstName === "string" ? name.firstName : null,
      familyName: typeof name?.lastName === "string" ? name.lastName : null,
    };
  } catch {
    return { givenName: null, familyName: null };
  }
}

/**
 * `apple`: Sign in with Apple's REST flow. Apple POSTs the callback (`response_mode=form_post`,
 * needed for the `name email` scopes), the code is exchanged at /auth/token with the client-secret
 * JWT, and the person comes from the id_token, verified against Apple's JWKS (iss, aud, exp,
 * nonce). `email_verified` may be the string "true".
 */
export function appleUpstream(override: string | undefined, clock: () => Date): UpstreamAdapter {
  const jwks = createRemoteJWKSet(new URL(rebase(`${APPLE_ISSUER}/auth/keys`, override)), {
    timeoutDuration: UPSTREAM_TIMEOUT_MS,
  });
  return {
    async authorizationUrl(method, request) {
      const url = new URL(rebase(`${APPLE_ISSUER}/auth/authorize`, override));
      url.searchParams.set("client_id", settingString(method, "client_id"));
      url.searchParams.set("redirect_uri", request.redirectUri);
      url.searchParams.set("response_type", "code");
      url.searchParams.set("response_mode", "form_post");
      url.searchParams.set("scope", "name email");
      url.searchParams.set("state", request.state);
      url.searchParams.set("nonce", request.nonce);
      return url;
    },

    async exchange(method, callback) {
      const clientId = settingString(method, "client_id");
      const idToken = await exchangeIdToken(method, callback.params.code ?? "", callback.redirectUri);
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(idToken, jwks, {
          issuer: APPLE_ISSUER,
          audience: clientId,
          algorithms: ["RS256", "ES256"],
          currentDate: clock(),
        }));
      } catch (error) {
        throw new UpstreamError("invalid_response", `Apple's id_token: ${(error as Error).message}`);
      }
      if (claims.nonce !== callback.nonce)
        throw new UpstreamError("invalid_response", "Apple's id_token: nonce mismatch");
      if (typeof claims.sub !== "string" || claims.sub === "") {
        throw new UpstreamError("invalid_response", "Apple's id_token: no sub");
      }
      const email = typeof claims.email === "string" ? claims.email : null;
      const { givenName, familyName } = appleUserName(callback.params.user);
      return {
        subject: claims.sub,
        email,
        emailVerified: email !== null && isVerified(claims.email_verified),
        name: [givenName, familyName].filter(Boolean).join(" ") || null,
        givenName,
        familyName,
        picture: null,
        amr: [],
      };
    },
  };

  async function exchangeIdToken(method: ConfiguredMethod, code: string, redirectUri: string): Promise<string> {
    const tokenUrl = rebase(`${APPLE_ISSUER}/auth/token`, override);
    const { body } = await exchangeCode({
      tokenUrl,
      clientId: settingString(method, "client_id"),
      clientSecret: await appleClientSecret(method, clock()),
      clientAuth: "post",
      code,
      redirectUri,
    });
    if (typeof body.id_token !== "string") throw new UpstreamError("invalid_response", "no id_token from Apple");
    return body.id_token;
  }
}
