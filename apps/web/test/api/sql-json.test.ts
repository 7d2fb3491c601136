import {
  AUTH_METHOD_TYPES,
  type AuthMethod,
  AuthMethodList,
  AuthMethod as AuthMethodSchema,
  authMethodDefinition,
  exampleAuthMethodBody,
  type Issuer,
  IssuerList,
  Issuer as IssuerSchema,
  toTimestamp,
} from "@authpi/domain";
import { type ServiceHarness, serviceHarness, type TestAccount } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

// The GET and list answers are JSON text built by Postgres (json_build_object over an explicit
// column list). This proves, for every field of every resource, that the text equals what the
// response allowlist (the Zod schema's parse) makes of the row Prisma reads: same keys, same
// values, same timestamp format, same nulls; and that the allowlist has nothing to strip from it.

let h: ServiceHarness;
let account: TestAccount;

beforeAll(async () => {
  h = serviceHarness();
  account = await h.newAccount();
});
afterAll(() => h.close());

/** The services here run with the default public URL. */
const PUBLIC_URL = "http://localhost:3000";

/** The issuer as the Zod allowlist makes it from the Prisma row (what the API answered before). */
async function issuerFromPrisma(id: string): Promise<Issuer> {
  const row = await h.db.issuer.findUniqueOrThrow({ where: { id } });
  return IssuerSchema.parse({
    object: "issuer",
    id: row.id,
    account_id: row.accountId,
    name: row.name,
    description: row.description,
    links: row.links,
    available_scopes: row.availableScopes,
    status: row.status,
    settings: row.settings,
    metadata: row.metadata,
    created_at: toTimestamp(row.createdAt),
    updated_at: toTimestamp(row.updatedAt),
    deleted_at: row.deletedAt ? toTimestamp(row.deletedAt) : null,
    purge_after: row.purgeAfter ? toTimestamp(row.purgeAfter) : null,
    issuer_url: `${PUBLIC_URL}/oidc/${row.id}`,
  });
}

async function authMethodFromPrisma(id: string): Promise<AuthMethod> {
  const row = await h.db.authMethod.findUniqueOrThrow({ where: { id } });
  const method = row.method as (typeof AUTH_METHOD_TYPES)[number];
  return AuthMethodSchema.parse({
    object: "auth_method",
    id: row.id,
    issuer_id: row.issuerId,
    name: row.name,
    method,
    enabled_login: row.enabledLogin,
    enabled_signup: row.enabledSignup,
    featured: row.featured,
    first_factor_only: row.firstFactorOnly,
    settings: row.settings,
    secrets_set: row.secrets === null ? [] : authMethodDefinition(method).secretKeys,
    created_at: toTimestamp(row.createdAt),
    updated_at: toTimestamp(row.updatedAt),
    // Read-only on federated methods: where the upstream sends the person back (api-contract §8).
    ...(authMethodDefinition(method).federated
      ? { callback_url: `${PUBLIC_URL}/oidc/${row.issuerId}/callback/${row.id}` }
      : {}),
  });
}

/** Equal as values, with the same keys in the same order at the top level, and a fixed point of the allowlist. */
function expectSameObject<T extends object>(json: string, expected: T, schema: { parse(value: unknown): unknown }) {
  const parsed = JSON.parse(json) as T;
  expect(parsed).toStrictEqual(expected);
  expect(Object.keys(parsed)).toEqual(Object.keys(expected));
  expect(schema.parse(parsed)).toStrictEqual(parsed);
}

const FULL_ISSUER = {
  name: "Every field",
  description: "With *markdown*, 'quotes', \"double quotes\", a \\ backslash, é and 🚀",
  links: { homepage: "https://example.com", privacy_policy: "https://example.com/privacy" },
  available_scopes: ["openid", "email", "offline_access"],
  status: "disabled",
  settings: {
    signup: { mode: "invite_only", allowed_email_domains: ["example.com"], require_email_verification: false },
    session: { lifetime_seconds: 86_400, idle_timeout_seconds: 3_600 },
    mfa: { policy: "required" },
    branding: { display_name: "Ünïcode", logo_url: "https://example.com/logo.png", primary_color: "#112233" },
  },
  metadata: { team: "identity", "key with spaces": "value\nwith newline" },
};

describe("issuers: SQL-built JSON equals the Zod-parsed response", () => {
  test("an issuer with every field set, live then deleted (deleted_at, purge_after)", async () => {
    const created = await h.services.issuers.create(account.accountId, parsed.issuer(FULL_ISSUER));
    const id = created.value.id;
    const live = await h.services.issuers.get(account.accountId, id);
    expectSameObject(live.value.json, await issuerFromPrisma(id), IssuerSchema);
    expect(JSON.parse(live.value.json).deleted_at).toBeNull();
    // The write's answer (RETURNING) is the same object.
    expect(created.value).toStrictEqual(JSON.parse(live.value.json));

    await h.services.issuers.delete(account.accountId, id);
    const deleted = await h.services.issuers.get(account.accountId, id);
    const expected = await issuerFromPrisma(id);
    expect(expected.deleted_at).not.toBeNull();
    expect(expected.purge_after).not.toBeNull();
    expectSameObject(deleted.value.json, expected, IssuerSchema);
  });

  test("an issuer with only defaults (null description, empty metadata)", async () => {
    const { value } = await h.services.issuers.create(account.accountId, parsed.issuer({ name: "Defaults" }));
    const read = await h.services.issuers.get(account.accountId, value.id);
    expectSameObject(read.value.json, await issuerFromPrisma(value.id), IssuerSchema);
  });

  test("after a PATCH (the UPDATE … RETURNING answer and the next read)", async () => {
    const { value } = await h.services.issuers.create(account.accountId, parsed.issuer({ name: "Patched" }));
    const patched = await h.services.issuers.update(account.accountId, value.id, {
      description: "now set",
      settings: { mfa: { policy: "optional" } },
      metadata: { a: "b" },
    });
    const expected = await issuerFromPrisma(value.id);
    expect(patched.value).toStrictEqual(expected);
    expectSameObject((await h.services.issuers.get(account.accountId, value.id)).value.json, expected, IssuerSchema);
  });

  test("a list page: every item, has_more and next_cursor", async () => {
    for (const name of ["Page 1", "Page 2", "Page 3"])
      await h.services.issuers.create(account.accountId, parsed.issuer({ name }));
    const list = await h.services.issuers.list(account.accountId, { limit: 2 });
    const page = JSON.parse(list.json);
    expect(IssuerList.parse(page)).toStrictEqual(page);
    expect(Object.keys(page)).toEqual(["object", "data", "has_more", "next_cursor"]);
    expect(page.has_more).toBe(true);
    expect(page.data).toHaveLength(2);
    expect(page.next_cursor).toBe(page.data[1].id);
    for (const item of page.data) expect(item).toStrictEqual(await issuerFromPrisma(item.id));
    const rest = JSON.parse(
      (await h.services.issuers.list(account.accountId, { limit: 100, cursor: page.next_cursor })).json,
    );
    expect(rest).toMatchObject({ has_more: false, next_cursor: null });
    const empty = JSON.parse(
      (await h.services.issuers.list(account.accountId, { limit: 10, status: "suspended" })).json,
    );
    expect(empty).toStrictEqual({ object: "list", data: [], has_more: false, next_cursor: null });
  });
});

describe("auth methods: SQL-built JSON equals the Zod-parsed response", () => {
  test.each(AUTH_METHOD_TYPES)("%s (settings without secrets, secrets_set)", async (type) => {
    const issuer = await h.services.issuers.create(account.accountId, parsed.issuer({ name: `Methods ${type}` }));
    const created = await h.services.authMethods.create(
      account.accountId,
      issuer.value.id,
      parsed.authMethod(exampleAuthMethodBody(type)),
    );
    const read = await h.services.authMethods.get(account.accountId, issuer.value.id, created.value.id);
    const expected = await authMethodFromPrisma(created.value.id);
    expectSameObject(read.value.json, expected, AuthMethodSchema);
    expect(created.value).toStrictEqual(expected);
    expect(expected.secrets_set).toEqual(authMethodDefinition(type).secretKeys);

    const list = JSON.parse((await h.services.authMethods.list(account.accountId, issuer.value.id)).json);
    expect(AuthMethodList.parse(list)).toStrictEqual(list);
    expect(list).toStrictEqual({ object: "list", data: [expected], has_more: false, next_cursor: null });
  });
});
