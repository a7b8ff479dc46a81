import type { EndpointResponse } from '../util/http.js';
import { jsonResponse } from '../util/http.js';
import { OAuthError, StoreUnavailableError } from './errors.js';
import type { OAuthErrorCode, ReasonCode } from './reasons.js';

export interface ErrorOutcome {
  readonly response: EndpointResponse;
  readonly reason: ReasonCode;
  readonly error: OAuthErrorCode;
  /** Operator-facing detail; never part of `response`. */
  readonly detail: string | undefined;
}

/**
 * The one place that turns any failure into an HTTP answer (RFC 6749 §5.2). It fails safe:
 * anything that is not one of our typed errors becomes `server_error` with a generic text, so
 * no exception message, stack trace or internal value can reach the caller.
 *
 * `usedAuthorizationHeader`: RFC 6749 §5.2 — when the client authenticated (or tried to) with the
 * Authorization header, `invalid_client` is 401 with a `WWW-Authenticate` challenge matching
 * the scheme it used.
 */
export function errorToResponse(error: unknown, usedAuthorizationHeader: boolean): ErrorOutcome {
  const oauthError = toOAuthError(error);
  const headers: Record<string, string> = {};
  if (oauthError.status === 401 && usedAuthorizationHeader) {
    headers['www-authenticate'] = 'Basic realm="token", charset="UTF-8"';
  }
  if (oauthError.status === 405) headers.allow = 'POST';
  if (oauthError.status === 503 || oauthError.status === 429) headers['retry-after'] = String(oauthError.retryAfterSeconds ?? 1);
  return {
    response: jsonResponse(
      oauthError.status,
      { error: oauthError.error, error_description: oauthError.message },
      headers,
    ),
    reason: oauthError.reason,
    error: oauthError.error,
    detail: oauthError.detail,
  };
}

export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof StoreUnavailableError) return new OAuthError(error.reason, error.message);
  return new OAuthError('internal_error', describeUnexpected(error));
}

/** Operator detail for an unexpected exception: its class and message, never its stack. */
function describeUnexpected(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return `non-error thrown: ${typeof error}`;
}
