import { describe, expect, test } from "vitest";
import { DomainError } from "../errors.ts";
import { parseBody } from "../input-safety.ts";
import {
  applyClientPatch as applyPatch,
  type ClientContext,
  clientConfigForCreate as configFor,
  redirectUriMatches,
} from "./rules.ts";
import { type ClientConfig, CreateClientInput, UpdateClientInput } from "./schema.ts";

const context = { availableScopes: ["openid", "profile", "email", "offline_access"] };

// The doors parse each body with the operation's schema (`parseBody`) before the rules see it;
// these tests send raw bodies through both, as a request does.
function clientConfigForCreate(body: unknown, ctx: ClientContext): ClientConfig {
  return configFor(parseBody(CreateClientInput, body), ctx);
}

function applyClientPatch(current: ClientConfig, body: unknown, ctx: ClientContext): ClientConfig {
  return applyPatch(current, parseBody(UpdateClientInput, body), ctx);
}

function refused(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

const web = { name: "Web", application_type: "web", redirect_uris: ["https://app.example.com/cb"] };

describe("client create rules", () => {
  test("defaults come from the application type and the issuer", () => {
    expect(clientConfigForCreate(web, context)).toEqual({
      name: "Web",
      description: null,
      application_type: "web",
      redirect_uris: ["https://app.example.com/cb"],
      post_logout_redirect_uris: [],
      allowed_origins: [],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "client_secret_basic",
      scopes: ["openid", "profile", "email", "offline_access"],
      access_token_ttl_seconds: 3600,
      id_token_ttl_seconds: 3600,
      metadata: {},
    });
    const machine = clientConfigForCreate({ name: "Job", application_type: "machine" }, context);
    expect(machine.grant_types).toEqual(["client_credentials"]);
    expect(machine.token_endpoint_auth_method).toBe("client_secret_basic");
    const spa = clientConfigForCreate(
      { name: "SPA", application_type: "spa", redirect_uris: ["http://localhost:5173/cb"] },
      context,
    );
    expect(spa.token_endpoint_auth_method).toBe("none");
  });

  test.each([
    [{ ...web, token_endpoint_auth_method: "none" }, "token_endpoint_auth_method"],
    [
      { ...web, application_type: "spa", token_endpoint_auth_method: "client_secret_basic" },
      "token_endpoint_auth_method",
    ],
    [{ ...web, grant_types: ["client_credentials"] }, "grant_types[0]"],
    [{ ...web, grant_types: ["refresh_token"] }, "grant_types"],
    [{ ...web, grant_types: [] }, "grant_types"],
    [{ ...web, redirect_uris: [] }, "redirect_uris"],
    [{ name: "Web", application_type: "web" }, "redirect_uris"],
    [{ ...web, redirect_uris: ["http://app.example.com/cb"] }, "redirect_uris[0]"],
    [{ ...web, redirect_uris: ["https://app.example.com/cb#frag"] }, "redirect_uris[0]"],
    [{ ...web, redirect_uris: ["/relative"] }, "redirect_uris[0]"],
    [{ ...web, redirect_uris: ["com.example.app:/cb"] }, "redirect_uris[0]"],
    [{ ...web, redirect_uris: [`https://a.example.com/${"x".repeat(2048)}`] }, "redirect_uris[0]"],
    [{ ...web, redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example.com/${i}`) }, "redirect_uris"],
    [{ ...web, redirect_uris: ["https://a.example.com/", "https://a.example.com/"] }, "redirect_uris"],
    [{ ...web, post_logout_redirect_uris: ["ftp://a.example.com/"] }, "post_logout_redirect_uris[0]"],
    [{ ...web, allowed_origins: ["https://app.example.com"] }, "allowed_origins"],
    [{ ...web, application_type: "spa", allowed_origins: ["https://app.example.com/path"] }, "allowed_origins[0]"],
    [{ ...web, application_type: "native", redirect_uris: ["https://app.example.com/cb"] }, "redirect_uris[0]"],
    [{ ...web, application_type: "native", redirect_uris: ["myapp:/cb"] }, "redirect_uris[0]"],
    [{ ...web, application_type: "native", redirect_uris: ["http://localhost:8080/cb"] }, "redirect_uris[0]"],
    [{ name: "Job", application_type: "machine", redirect_uris: ["https://a.example.com/"] }, "redirect_uris"],
    [{ name: "Job", application_type: "machine", grant_types: ["authorization_code"] }, "grant_types[0]"],
    [{ ...web, scopes: ["openid", "admin"] }, "scopes[1]"],
    [{ ...web, access_token_ttl_seconds: 59 }, "access_token_ttl_seconds"],
    [{ ...web, id_token_ttl_seconds: 86_401 }, "id_token_ttl_seconds"],
    [{ ...web, application_type: "desktop" }, "application_type"],
    [{ ...web, client_secret: "cs_mine" }, "client_secret"],
  ])("refuses %j naming %s", (input, param) => {
    const error = refused(() => clientConfigForCreate(input, context));
    expect(error.code).toBe("validation_failed");
    expect(error.param).toBe(param);
  });

  test("native: private-use schemes and the loopback interface (RFC 8252)", () => {
    const config = clientConfigForCreate(
      {
        name: "App",
        application_type: "native",
        redirect_uris: ["com.example.app:/oauth2redirect", "http://127.0.0.1/cb", "http://[::1]:3000/cb"],
      },
      context,
    );
    expect(config.token_endpoint_auth_method).toBe("none");
  });
});

describe("client patch rules", () => {
  const current = clientConfigForCreate(web, context);

  test("application_type cannot change, even to its current value", () => {
    for (const value of ["spa", "web"]) {
      const error = refused(() => applyClientPatch(current, { application_type: value }, context));
      expect(error.code).toBe("immutable_field");
      expect(error.param).toBe("application_type");
    }
  });

  test("fields replace, metadata merges, and the result is checked whole", () => {
    const withMeta = applyClientPatch(current, { metadata: { a: "1", b: "2" } }, context);
    const next = applyClientPatch(
      withMeta,
      { redirect_uris: ["https://new.example.com/cb"], metadata: { a: null, c: "3" } },
      context,
    );
    expect(next.redirect_uris).toEqual(["https://new.example.com/cb"]);
    expect(next.metadata).toEqual({ b: "2", c: "3" });
    expect(refused(() => applyClientPatch(current, { redirect_uris: [] }, context)).param).toBe("redirect_uris");
    expect(refused(() => applyClientPatch(current, { token_endpoint_auth_method: "none" }, context)).param).toBe(
      "token_endpoint_auth_method",
    );
    expect(applyClientPatch(current, { token_endpoint_auth_method: "client_secret_post" }, context)).toMatchObject({
      token_endpoint_auth_method: "client_secret_post",
    });
  });

  test("scopes are checked against the issuer only when the PATCH sends them", () => {
    const narrowed = { availableScopes: ["openid"] };
    expect(applyClientPatch(current, { name: "Renamed" }, narrowed).scopes).toEqual(current.scopes);
    expect(refused(() => applyClientPatch(current, { scopes: ["openid", "email"] }, narrowed)).param).toBe("scopes[1]");
  });
});

describe("redirect URI matching", () => {
  test("exact string equality, except a native loopback URI's port", () => {
    expect(redirectUriMatches("web", ["https://a.example.com/cb"], "https://a.example.com/cb")).toBe(true);
    expect(redirectUriMatches("web", ["https://a.example.com/cb"], "https://a.example.com/cb/")).toBe(false);
    expect(redirectUriMatches("web", ["https://a.example.com/cb"], "https://A.example.com/cb")).toBe(false);
    expect(redirectUriMatches("native", ["http://127.0.0.1/cb"], "http://127.0.0.1:51234/cb")).toBe(true);
    expect(redirectUriMatches("native", ["http://127.0.0.1/cb"], "http://127.0.0.1:51234/other")).toBe(false);
    expect(redirectUriMatches("web", ["http://127.0.0.1/cb"], "http://127.0.0.1:51234/cb")).toBe(false);
  });
});

describe("the client PATCH schema", () => {
  test("refuses application_type first, whatever else the body holds", () => {
    const error = refused(() => parseBody(UpdateClientInput, { application_type: "web", name: 1 }));
    expect({ code: error.code, message: error.message, param: error.param, details: error.details }).toEqual({
      code: "immutable_field",
      message: "application_type cannot be changed after creation; create a new client instead",
      param: "application_type",
      details: undefined,
    });
  });

  test("keeps absent apart from null", () => {
    expect(parseBody(UpdateClientInput, { description: null })).toEqual({ description: null });
    expect(parseBody(UpdateClientInput, {})).toEqual({});
  });
});
