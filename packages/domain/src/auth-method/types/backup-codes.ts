import { z } from "zod";
import { defineAuthMethodType } from "../define.ts";

/** backup_codes: single-use recovery codes; a second factor only. */

export const BackupCodesSettings = z.strictObject({
  count: z.number().int().min(5).max(20).default(10).describe("Codes per set (5-20)."),
  length: z.number().int().min(8).max(16).default(10).describe("Characters per code (8-16)."),
});

export const backup_codes = defineAuthMethodType({
  method: "backup_codes",
  title: "Backup codes",
  firstFactorOnly: false,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: BackupCodesSettings,
  secretKeys: [],
  schemaIds: { create: "CreateBackupCodesAuthMethod", response: "BackupCodesAuthMethod" },
});
