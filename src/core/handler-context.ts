import type { AuthAttempt, ClientAuthConfig, PresentedCertificate } from '../client-auth/authenticate.js';
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
  };
}

export function createHandlerContext(config: ResolvedOptions, clientAuth: ClientAuthConfig): HandlerContext {
  return {
    config,
    clientAuth,
    certificateOf: (request, attempt) => {
      const resolved = resolveClientCertificate(request, config.certificateSource);
      attempt.untrustedProxyHeader = resolved.untrustedProxyHeader;
      attempt.certificateSource = resolved.certificate?.source;
      return resolved.certificate;
    },
    refuse: (endpoint, request, attempt, error, requestedScope) => {
      const outcome = errorToResponse(error, attempt.usedAuthorizationHeader);
      emit(config.onEvent, {
        type: deniedEventType(outcome.reason, outcome.error),
        decision: 'deny',
        reason: outcome.reason,
        error: outcome.error,
        detail: outcome.detail,
        time: new Date(config.now()).toISOString(),
        issuer: config.issuer,
        endpoint,
        // `request?.`: an untyped caller may pass anything; the answer is still a clean refusal.
        peerAddress: request?.peerAddress,
        clientId: attempt.clientId,
        authMethod: attempt.method,
        credentialId: attempt.credentialId,
        certificateSource: attempt.certificateSource,
        untrustedProxyHeader: attempt.untrustedProxyHeader,
        requestedScope,
      });
      return outcome.response;
    },
  };
}
