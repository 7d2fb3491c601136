import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

/**
 * A WebAuthn authenticator in software (ES256, attestation "none"), for tests that speak to the
 * hosted passkey pages without a browser: it answers the options a page hands out with the JSON
 * its inline script would post. It can also misbehave on purpose (no user verification, another
 * challenge, another origin).
 */

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const out = Buffer.alloc(3);
  out[0] = (major << 5) | 25;
  out.writeUInt16BE(length, 1);
  return out;
}

/** The CBOR subset WebAuthn needs (RFC 8949): small integers, byte and text strings, maps. */
function cbor(value: Cbor): Buffer {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest();
const b64 = (data: Buffer) => data.toString("base64url");

interface Credential {
  id: Buffer;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  counter: number;
}

export interface CreationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
}
export interface RequestOptions {
  challenge: string;
  rpId: string;
  allowCredentials?: { id: string }[];
}

export interface Behaviour {
  userVerified?: boolean;
  origin?: string;
  challenge?: string;
}

export class SoftAuthenticator {
  readonly credentials: Credential[] = [];

  constructor(private readonly origin: string) {}

  private authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, behaviour: Behaviour): Buffer {
    return Buffer.from(
      JSON.stringify({ type, challenge: behaviour.challenge ?? challenge, origin: behaviour.origin ?? this.origin }),
    );
  }

  /** `navigator.credentials.create`: a new discoverable credential, as the page's script posts it. */
  create(options: CreationOptions, behaviour: Behaviour = {}): string {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cose = new Map<Cbor, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? "", "base64url")],
      [-3, Buffer.from(jwk.y ?? "", "base64url")],
    ]);
    const id = randomBytes(16);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16), length, id, cbor(cose)]);
    const flags = 0x01 | 0x40 | (behaviour.userVerified === false ? 0 : 0x04);
    const authData = this.authData(options.rp.id, flags, 0, attested);
    this.credentials.push({
      id,
      rpId: options.rp.id,
      userHandle: options.user.id,
      privateKey,
      counter: 0,
    });
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    return JSON.stringify({
      id: b64(id),
      rawId: b64(id),
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64(this.clientData("webauthn.create", options.challenge, behaviour)),
        attestationObject: b64(attestationObject),
        transports: ["internal"],
      },
    });
  }

  /** `navigator.credentials.get`: an assertion by one of the allowed credentials (or any of the rp). */
  get(options: RequestOptions, behaviour: Behaviour & { credential?: Credential } = {}): string {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential =
      behaviour.credential ??
      this.credentials.find((c) => c.rpId === options.rpId && (allowed.size === 0 || allowed.has(b64(c.id))));
    if (!credential) throw new Error("no credential for these options");
    credential.counter += 1;
    const flags = 0x01 | (behaviour.userVerified === false ? 0 : 0x04);
    const authData = this.authData(options.rpId, flags, credential.counter);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, behaviour);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return JSON.stringify({
      id: b64(credential.id),
      rawId: b64(credential.id),
      type: "public-key",
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(signature),
        userHandle: credential.userHandle,
      },
    });
  }
}

/** The options a passkey page hands its script (the form's `data-options`). */
export function pageOptions<T>(html: string): T {
  const raw = html.match(/data-options="([^"]*)"/)?.[1];
  if (raw === undefined) throw new Error(`no passkey options on the page:\n${html.slice(0, 800)}`);
  return JSON.parse(
    raw
      .replaceAll("&quot;", '"')
      .replaceAll("&#39;", "'")
      .replaceAll("&lt;", "<")
      .replaceAll("&gt;", ">")
      .replaceAll("&amp;", "&"),
  ) as T;
}
