export * from "./operation.ts";
export { apiKeyOperations } from "./operations/api-keys.ts";
export { authOperations } from "./operations/auth.ts";
export { AUTH_METHOD_FORMS, AuthMethodForm, AuthMethodFormField } from "./operations/auth-method-forms.ts";
export { authMethodOperations } from "./operations/auth-methods.ts";
export { operations, resources, restOperations } from "./operations/index.ts";
export { issuerOperations } from "./operations/issuers.ts";
export * from "./pipeline.ts";
