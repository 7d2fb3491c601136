import { randomBytes } from "node:crypto";

/** Every resource kind with its ID prefix (api-contract §1). */
export const ID_PREFIXES = {
  account: "acct",
  issuer: "iss",
  authMethod: "am",
  apiKey: "key",
  request: "req",
  /** An operator of the admin UI (ids made before were `usr_`; a migration renamed them). */
  adminUser: "op",
  session: "ses",
  client: "cli",
  /** A user of an issuer's pool; also the `sub` of its tokens. */
  user: "usr",
  factor: "fac",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_PATTERN = "[0-7][0-9A-HJKMNP-TV-Z]{25}";

let lastTime = -1;
let lastRandom = new Uint8Array(10);

/**
 * A monotonic ULID: 48 bits of milliseconds then 80 random bits, incremented
 * rather than redrawn within one millisecond so IDs made by one process sort in
 * creation order even at thousands per millisecond.
 */
export function ulid(now = Date.now()): string {
  if (now === lastTime) {
    const next = new Uint8Array(lastRandom);
    for (let i = next.length - 1; i >= 0; i--) {
      next[i] = ((next[i] ?? 0) + 1) & 0xff;
      if (next[i] !== 0) break;
    }
    lastRandom = next;
  } else {
    lastTime = now;
    lastRandom = new Uint8Array(randomBytes(10));
  }
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let bits = 0n;
  for (const byte of lastRandom) bits = (bits << 8n) | BigInt(byte);
  let random = "";
  for (let i = 0; i < 16; i++) {
    random = CROCKFORD[Number(bits & 31n)] + random;
    bits >>= 5n;
  }
  return time + random;
}

export function newId(kind: IdKind, now?: number): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}

const patterns = Object.fromEntries(
  Object.entries(ID_PREFIXES).map(([kind, prefix]) => [kind, new RegExp(`^${prefix}_${ULID_PATTERN}$`)]),
) as Record<IdKind, RegExp>;

/** True for a well-formed ID of that kind; a malformed one in a path is a 404. */
export function isId(kind: IdKind, value: string): boolean {
  return patterns[kind].test(value);
}

/** The creation time encoded in a well-formed ID. */
export function idTimestamp(id: string): Date {
  const ulidPart = id.slice(id.indexOf("_") + 1, id.indexOf("_") + 11);
  let ms = 0;
  for (const char of ulidPart) ms = ms * 32 + CROCKFORD.indexOf(char);
  return new Date(ms);
}
