import { createPrivateKey } from "node:crypto";
import { type AuthMethodConfig, DomainError } from "@authpi/domain";

const PARAM = "settings.private_key";
const MESSAGE = "Must be the PKCS#8 EC P-256 private key (.p8 file) Apple issued";

/**
 * The schema checks the PEM's shape; this checks it is a key Apple could have
 * issued (PKCS#8, EC P-256), so a pasted certificate or truncated key is a 400
 * now rather than a failed sign-in later. The message never echoes the key.
 */
export function assertApplePrivateKey(config: AuthMethodConfig): void {
  if (config.method !== "apple") return;
  let valid = false;
  try {
    const key = createPrivateKey({ key: config.settings.private_key, format: "pem" });
    valid = key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new DomainError("validation_failed", `${PARAM}: ${MESSAGE}`, {
      param: PARAM,
      details: [{ param: PARAM, message: MESSAGE }],
    });
  }
}
