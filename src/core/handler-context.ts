import type { AuthAttempt, ClientAuthConfig, PresentedCertificate } from '../client-auth/authenticate.js';
import { OAuthError } from '../errors/errors.js';
import { errorToResponse } from '../errors/to-response.js';
import type { EndpointResponse } from '../util/http.js';
import { resolveClientCertificate } from './client-certificate.js';
import { type EndpointName, deniedEventType, emit } from './events.js';
import type { ResolvedOptions } from './options.js';
import type { EndpointRequest } from './request.js';

/** What every endpoint handler shares: the resolved options, client authentication, and the one way to refuse. */
export interface HandlerContext {
  readonly config: ResolvedOptions;
  readonly clientAuth: ClientAuthConfig;
  /** The request's client certificate (socket or trusted proxy), noted on the attempt for events. */
  readonly certificateOf: (request: EndpointRequest, attempt: AuthAttempt) => PresentedCertificate | undefined;
  /**
   * Like `refuse`, and first counts a failed client authentication against the peer and the
   * client for brute-force throttling. Handlers end their `catch` with it.
   */
  readonly fail: (
    endpoint: EndpointName,
    request: EndpointRequest,
    attempt: AuthAttempt,
    error: unknown,
    requestedScope?: string,
  ) => Promise<EndpointResponse>;
  /** Maps any failure to its RFC 6749 §5.2 response and reports it to the operator. */
  readonly refuse: (
    endpoint: EndpointName,
    request: EndpointRequest,
    attempt: AuthAttempt,
    error: unknown,
    requestedScope?: string,
  ) => EndpointResponse;
}

export function newAttempt(): AuthAttempt {
  return {
    clientId: undefined,
    method: undefined,
    credentialId: undefined,
    usedAuthorizationHeader: false,
    certificateSource: undefined,
    untrustedProxyHeader: false,
    clientRegistered: false,
  };
}

/**
 * SPEC.md "Operator events": never a secret or an assertion. Events quote some caller-sent values
 * (grant_type, scope, resource, client_id); a body with ";" separators (HTML 4.01 §B.2.2) or an
 * encoded "&" folds `client_secret=…` into one of them. Everything after such a name is dropped.
 */
const FOLDED_CREDENTIAL = /(client_secret|client_assertion|password|token)(=|%3d)[\s\S]*/gi;

function scrub(text: string | undefined): string | undefined {
  return text?.replace(FOLDED_CREDENTIAL, '$1=[redacted]');
}

export function createHandlerContext(config: ResolvedOptions, clientAuth: ClientAuthConfig): HandlerContext {
  const refuse: HandlerContext['refuse'] = (endpoint, request, attempt, error, requestedScope) => {
    const outcome = errorToResponse(error, attempt.usedAuthorizationHeader);
    emit(config.onEvent, {
      type: deniedEventType(outcome.reason, outcome.error),
      decision: 'deny',
      reason: outcome.reason,
      error: outcome.error,
      detail: scrub(outcome.detail),
      time: new Date(config.now()).toISOString(),
      issuer: config.issuer,
      endpoint,
      // `request?.`: an untyped caller may pass anything; the answer is still a clean refusal.
      peerAddress: request?.peerAddress,
      clientId: scrub(attempt.clientId),
      authMethod: attempt.method,
      credentialId: attempt.credentialId,
      certificateSource: attempt.certificateSource,
      untrustedProxyHeader: attempt.untrustedProxyHeader,
      requestedScope: scrub(requestedScope),
    });
    return outcome.response;
  };
  return {
    config,
    clientAuth,
    certificateOf: (request, attempt) => {
      const resolved = resolveClientCertificate(request, config.certificateSource, config.onEvent !== undefined);
      attempt.untrustedProxyHeader = resolved.untrustedProxyHeader;
      attempt.certificateSource = resolved.certificate?.source;
      return resolved.certificate;
    },
    refuse,
    fail: async (endpoint, request, attempt, error, requestedScope) => {
      const failedAuthentication = error instanceof OAuthError && error.error === 'invalid_client';
      if (failedAuthentication && clientAuth.throttle) {
        await clientAuth.throttle.recordFailure(request?.peerAddress, attempt.clientRegistered ? attempt.clientId : undefined);
      }
      return refuse(endpoint, request, attempt, error, requestedScope);
    },
  };
}
