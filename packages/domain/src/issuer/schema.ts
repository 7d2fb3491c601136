import { z } from "zod";
import {
  EmailDomain,
  httpsUrl,
  ListLimit,
  listOf,
  Metadata,
  Name,
  ScopeToken,
  safeString,
  Timestamp,
  uniqueList,
} from "../common.ts";

export const ISSUER_STATUSES = ["active", "disabled", "suspended", "deleted"] as const;
export const IssuerStatus = z.enum(ISSUER_STATUSES);
export type IssuerStatus = z.infer<typeof IssuerStatus>;

const nullableHttpsUrl = httpsUrl().nullable();

export const IssuerLinks = z
  .strictObject({
    homepage: nullableHttpsUrl.default(null),
    privacy_policy: nullableHttpsUrl.default(null),
    terms_of_service: nullableHttpsUrl.default(null),
    support: nullableHttpsUrl.default(null),
  })
  .describe("Public links shown on the sign-in pages; each null or an https URL.");

export const SignupSettings = z.strictObject({
  mode: z.enum(["open", "invite_only", "closed"]).default("open").describe("Who may create an account."),
  allowed_email_domains: uniqueList(EmailDomain, 100)
    .default([])
    .describe("When not empty, only emails of these domains may sign up."),
  require_email_verification: z.boolean().default(true),
});

export const SessionSettings = z
  .strictObject({
    lifetime_seconds: z.number().int().min(300).max(31_536_000).default(1_209_600),
    idle_timeout_seconds: z
      .number()
      .int()
      .min(60)
      .nullable()
      .default(86_400)
      .describe("Null for no idle timeout; otherwise at most lifetime_seconds."),
    refresh_token_rotation: z.boolean().default(true),
    refresh_token_reuse_detection: z.boolean().default(true),
  })
  .superRefine((session, ctx) => {
    if (session.idle_timeout_seconds !== null && session.idle_timeout_seconds > session.lifetime_seconds) {
      ctx.addIssue({
        code: "custom",
        path: ["idle_timeout_seconds"],
        message: "Must not exceed lifetime_seconds",
      });
    }
  });

export const MfaSettings = z.strictObject({
  policy: z.enum(["off", "optional", "required"]).default("optional"),
  remember_device_days: z.number().int().min(0).max(365).default(30),
});

export const BrandingSettings = z.strictObject({
  display_name: safeString().trim().max(100).nullable().default(null),
  logo_url: nullableHttpsUrl.default(null),
  primary_color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, "Must be a #RRGGBB color")
    .nullable()
    .default(null),
});

export const IssuerSettings = z
  .strictObject({
    signup: SignupSettings.prefault({}),
    session: SessionSettings.prefault({}),
    mfa: MfaSettings.prefault({}),
    branding: BrandingSettings.prefault({}),
  })
  .describe("Signup, session, MFA and branding settings; always returned complete.");
export type IssuerSettings = z.infer<typeof IssuerSettings>;

export const DEFAULT_SCOPES = ["openid", "profile", "email"];

const Description = safeString()
  .max(2000, "Must be at most 2000 characters")
  .nullable()
  .describe("A description for the resource. Markdown supported.");

const AvailableScopes = uniqueList(ScopeToken, 100).describe("OAuth scopes clients of this issuer may request.");

/**
 * The whole, defaulted issuer configuration: what POST accepts and what a PATCH
 * must produce after its merge. `status` is checked by the rules, not here.
 */
export const IssuerConfig = z.strictObject({
  name: Name,
  description: Description.default(null),
  links: IssuerLinks.prefault({}),
  available_scopes: AvailableScopes.default(DEFAULT_SCOPES),
  status: IssuerStatus.default("active"),
  settings: IssuerSettings.prefault({}),
  metadata: Metadata.default({}),
});
export type IssuerConfig = z.infer<typeof IssuerConfig>;

export const CreateIssuerInput = IssuerConfig.meta({ id: "CreateIssuerRequest" });
export type CreateIssuerInput = z.input<typeof CreateIssuerInput>;

/** PATCH body: every field optional; settings, links and metadata are merge patches. */
export const UpdateIssuerInput = z
  .strictObject({
    name: Name.optional(),
    description: Description.optional(),
    links: z.record(z.string(), z.unknown()).optional().describe("Merge patch of links; null resets a link."),
    available_scopes: AvailableScopes.optional(),
    status: IssuerStatus.optional(),
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("Merge patch (RFC 7396) of settings; null resets a key to its default."),
    metadata: z.record(z.string(), z.unknown()).optional().describe("Merge patch of metadata; null removes a key."),
  })
  .meta({ id: "UpdateIssuerRequest" });
export type UpdateIssuerInput = z.input<typeof UpdateIssuerInput>;

export const Issuer = z
  .object({
    object: z.literal("issuer"),
    id: z.string().describe("Unique identifier, `iss_` + ULID."),
    account_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    links: IssuerLinks,
    available_scopes: z.array(z.string()),
    status: IssuerStatus,
    settings: IssuerSettings,
    metadata: z.record(z.string(), z.string()),
    created_at: Timestamp,
    updated_at: Timestamp,
    deleted_at: Timestamp.nullable(),
    purge_after: Timestamp.nullable().describe("When a deleted issuer is purged for good."),
    issuer_url: z
      .string()
      .describe(
        "Read-only. The issuer's OpenID Provider, `{AUTHPI_PUBLIC_URL}/oidc/{id}`: its `iss`, and the base of its discovery document.",
      ),
  })
  .meta({ id: "Issuer" });
export type Issuer = z.infer<typeof Issuer>;

export const IssuerList = listOf(Issuer).meta({ id: "IssuerList" });

export const ListIssuersQuery = z.strictObject({
  limit: ListLimit,
  cursor: safeString().max(64).optional().describe("Pagination cursor (issuer ID from previous response)"),
  status: IssuerStatus.optional().describe("Only issuers of this status; deleted issuers are listed only when asked."),
});
export type ListIssuersQuery = z.infer<typeof ListIssuersQuery>;
