export {
  ciphertextKeyId,
  DecryptionError,
  decryptSecrets,
  decryptString,
  encryptSecrets,
  encryptString,
} from "./cipher.ts";
export {
  createKeyring,
  type EncryptionKey,
  generateKeyEntry,
  type Keyring,
  KeyringError,
  loadKeyring,
  parseKeys,
} from "./keyring.ts";
