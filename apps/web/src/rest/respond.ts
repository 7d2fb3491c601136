import { type DomainError, type ErrorDetail, errorType, wireCode } from "@authpi/domain";

export interface ApiErrorBody {
  error: {
    type: string;
    code: string;
    message: string;
    param?: string;
    details?: ErrorDetail[];
    request_id: string;
    [extra: string]: unknown;
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function errorBody(error: DomainError, requestId: string): ApiErrorBody {
  return {
    error: {
      type: errorType(error.code),
      code: wireCode(error.code),
      message: error.message,
      ...(error.param ? { param: error.param } : {}),
      ...(error.details ? { details: error.details } : {}),
      ...error.extra,
      request_id: requestId,
    },
  };
}

export function errorResponse(error: DomainError, requestId: string, headers: Record<string, string> = {}): Response {
  return json(error.status, errorBody(error, requestId), headers);
}
