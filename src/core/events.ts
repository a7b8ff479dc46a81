import type { AudienceShape } from '../assertions/verify-assertion.js';
import type { TokenEndpointAuthMethod } from '../clients/metadata.js';
import type { OAuthErrorCode, ReasonCode } from '../errors/reasons.js';

export type EndpointName = 'token' | 'introspection' | 'revocation';

interface EventBase {
  /** ISO 8601 time of the decision. */
  readonly time: string;
  readonly issuer: string;
  readonly endpoint: EndpointName;
  readonly peerAddress: string | undefined;
  readonly clientId: string | undefined;
  readonly authMethod: TokenEndpointAuthMethod | undefined;
  /** The key `kid` of a client assertion, or the `x5t#S256` of a client certificate. Never a secret. */
  readonly credentialId: string | undefined;
  /** Where the client certificate came from: this server's TLS socket or a trusted proxy's header. */
  readonly certificateSource?: 'tls' | 'proxy' | undefined;
  /** A forwarded-certificate header arrived from an untrusted peer and was ignored (RFC 8705 §2, SPEC.md). */
  readonly untrustedProxyHeader?: boolean | undefined;
}

/** A token was issued. */
export interface TokenIssuedEvent extends EventBase {
  readonly type: 'token_issued';
  readonly decision: 'allow';
  readonly reason: 'ok';
  readonly requestedScope: string | undefined;
  readonly grantedScope: string;
  readonly audience: string;
  readonly tokenJti: string;
  readonly tokenLifetime: number;
  readonly certificateBound: boolean;
  /** How the client assertion spelled `aud` (private_key_jwt only), so operators can tighten policy. */
  readonly assertionAudienceShape: AudienceShape | undefined;
}

/** RFC 7662: a token was introspected. Says whether it was active, never the token itself. */
export interface TokenIntrospectedEvent extends EventBase {
  readonly type: 'token_introspected';
  readonly decision: 'allow';
  readonly reason: 'ok';
  readonly active: boolean;
  /** `jti` and owner of the introspected token, when it was one of ours and active. */
  readonly tokenJti: string | undefined;
  readonly tokenClientId: string | undefined;
}

/** RFC 7009: a revocation request was answered. `recognized` is false for tokens that were not ours or already expired. */
export interface TokenRevokedEvent extends EventBase {
  readonly type: 'token_revoked';
  readonly decision: 'allow';
  readonly reason: 'ok';
  readonly tokenJti: string | undefined;
  readonly recognized: boolean;
}

/** A request was refused. `type` groups reasons; `reason` is the stable code. */
export interface RequestDeniedEvent extends EventBase {
  readonly type:
    | 'client_authentication_failed'
    | 'replay_detected'
    | 'store_unavailable'
    | 'request_rejected'
    | 'internal_error';
  readonly decision: 'deny';
  readonly reason: ReasonCode;
  /** The RFC 6749 §5.2 error the caller received. */
  readonly error: OAuthErrorCode;
  /** Operator-facing context. Never a secret, key, assertion or token. */
  readonly detail: string | undefined;
  readonly requestedScope: string | undefined;
}

/** Not a decision: the throttle store could not answer, and throttling was skipped (it fails open). */
export interface ThrottleStoreUnavailableEvent extends Omit<EventBase, 'endpoint'> {
  readonly type: 'throttle_store_unavailable';
  readonly decision: 'allow';
  readonly reason: 'throttle_store_unavailable';
  readonly endpoint: undefined;
  readonly detail: string;
}

/** One event per decision of the endpoint (plus operational warnings). */
export type TokenEndpointEvent = TokenIssuedEvent | TokenIntrospectedEvent | TokenRevokedEvent | RequestDeniedEvent | ThrottleStoreUnavailableEvent;

export type EventListener = (event: TokenEndpointEvent) => void;

const AUTHENTICATION_ERRORS: ReadonlySet<OAuthErrorCode> = new Set(['invalid_client']);

export function deniedEventType(reason: ReasonCode, error: OAuthErrorCode): RequestDeniedEvent['type'] {
  if (reason === 'jti_replayed') return 'replay_detected';
  if (reason === 'replay_store_unavailable' || reason === 'replay_store_full' || reason === 'revocation_store_unavailable') return 'store_unavailable';
  if (reason === 'internal_error') return 'internal_error';
  if (AUTHENTICATION_ERRORS.has(error) || reason === 'auth_method_none_refused') return 'client_authentication_failed';
  return 'request_rejected';
}

/** Delivers an event without letting a failing listener break the request. */
export function emit(listener: EventListener | undefined, event: TokenEndpointEvent): void {
  if (!listener) return;
  try {
    listener(event);
  } catch {
    // A listener's own failure must never change the answer to the client.
  }
}
