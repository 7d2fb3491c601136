import {
  CreateAuthMethodInput,
  CreateClientInput,
  CreateIssuerInput,
  CreateUserInput,
  parseBody,
  RotateClientSecretInput,
  UpdateAuthMethodInput,
  UpdateClientInput,
  UpdateUserInput,
} from "@authpi/domain";

/**
 * Bodies written as a client sends them, parsed as the doors parse them (the
 * operation's schema, the same 400s), for tests, benches and e2e set-ups that
 * call a service directly: the services take parsed input.
 */
export const parsed = {
  authMethod: (raw: unknown) => parseBody(CreateAuthMethodInput, raw),
  authMethodPatch: (raw: unknown) => parseBody(UpdateAuthMethodInput, raw),
  issuer: (raw: unknown) => parseBody(CreateIssuerInput, raw),
  client: (raw: unknown) => parseBody(CreateClientInput, raw),
  clientPatch: (raw: unknown) => parseBody(UpdateClientInput, raw),
  clientSecretRotation: (raw: unknown) => parseBody(RotateClientSecretInput, raw),
  user: (raw: unknown) => parseBody(CreateUserInput, raw),
  userPatch: (raw: unknown) => parseBody(UpdateUserInput, raw),
};
