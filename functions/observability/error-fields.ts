/**
 * What a log line says about an error: its class name, its message, a code to group on and the
 * same of its cause, never the error object itself (no stack, no SDK response body). Messages of
 * this service's errors never hold a token (functions/core/errors.ts); an AWS SDK error's is the
 * service's own text.
 */
export interface ErrorFields {
  name: string;
  message: string;
  /**
   * A DomainError's stable `code`, a Node system error's (`ECONNRESET`), or an AWS SDK error's
   * name when it has no other (the SDK names its errors after the service's error code).
   */
  code?: string;
  /** The HTTP status an AWS SDK or LINE SDK error came with. */
  httpStatus?: number;
  cause?: Omit<ErrorFields, 'cause'>;
}

/** Longest message logged; a longer one is cut (an upstream's text can be long). */
const MAX_MESSAGE = 500;

/** The loggable fields of any thrown value (see {@link ErrorFields}). */
export function errorFields(error: unknown): ErrorFields {
  const own = fieldsOf(error);
  const cause = error instanceof Error && error.cause !== undefined ? fieldsOf(error.cause) : undefined;
  return cause ? { ...own, cause } : own;
}

function fieldsOf(error: unknown): Omit<ErrorFields, 'cause'> {
  if (!(error instanceof Error)) return { name: typeof error, message: cut(String(error)) };
  const record = error as Error & {
    code?: unknown;
    status?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const sdkStatus = record.$metadata?.httpStatusCode;
  const httpStatus = typeof sdkStatus === 'number' ? sdkStatus : record.status;
  const code =
    typeof record.code === 'string' ? record.code : record.$metadata !== undefined ? error.name : undefined;
  return {
    name: error.name,
    message: cut(error.message),
    ...(code !== undefined ? { code } : {}),
    ...(typeof httpStatus === 'number' ? { httpStatus } : {}),
  };
}

const cut = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text);
