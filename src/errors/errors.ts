import { type OAuthErrorCode, type ReasonCode, reasonDefinition } from './reasons.js';

/**
 * A protocol failure: the request is refused with an RFC 6749 §5.2 error. `reason` is the
 * stable operator-facing code; `detail` is operator-facing context (never secrets, never
 * tokens) and is never sent to the caller.
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly code = 'ERR_M2M_OAUTH';
  readonly reason: ReasonCode;
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  /** Seconds a client should wait before retrying (429 and 503 answers). */
  readonly retryAfterSeconds: number | undefined;

  constructor(reason: ReasonCode, detail?: string, retryAfterSeconds?: number) {
    const definition = reasonDefinition(reason);
    super(definition.description);
    this.reason = reason;
    this.error = definition.error;
    this.status = definition.status;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type ConfigurationErrorCode = 'ERR_M2M_INVALID_OPTION' | 'ERR_M2M_INVALID_CLIENT_METADATA';

/**
 * Misuse or bad configuration, thrown at construction — never at request time. The message
 * names the field and the fix, e.g. `options.issuer: must be an https URL without query or
 * fragment (got "http://x")`.
 */
export class ConfigurationError extends TypeError {
  override readonly name = 'ConfigurationError';
  readonly code: ConfigurationErrorCode;
  /** Dotted path of the offending field, e.g. `options.clientAssertion.clockTolerance` or `clients[2].jwks`. */
  readonly field: string;

  constructor(code: ConfigurationErrorCode, field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.code = code;
    this.field = field;
  }
}

export function invalidOption(field: string, problem: string): ConfigurationError {
  return new ConfigurationError('ERR_M2M_INVALID_OPTION', field, problem);
}

export function invalidClientMetadata(field: string, problem: string): ConfigurationError {
  return new ConfigurationError('ERR_M2M_INVALID_CLIENT_METADATA', field, problem);
}

export type StoreFailureReason = 'replay_store_unavailable' | 'replay_store_full' | 'revocation_store_unavailable';

/** Thrown by replay, revocation and key stores when they cannot answer. Always fails closed. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'ERR_M2M_STORE_UNAVAILABLE';
  readonly reason: StoreFailureReason;

  constructor(reason: StoreFailureReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
