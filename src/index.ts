// The public API: factories and types, each named. Everything else is internal.
export { createTokenEndpoint } from './core/token-endpoint.js';
export type { TokenEndpoint } from './core/token-endpoint.js';
export type { TokenEndpointOptions, ClientAssertionOptions, MtlsOptions, EndpointPaths } from './core/options.js';
export type { ProxyCertificateSource, ProxyCertificateFormat } from './certificates/proxy-headers.js';
export type { EndpointRequest, RequestHeaders, ParsedForm, TlsClientCertificate } from './core/request.js';
export type { EndpointResponse } from './util/http.js';
export type {
  TokenEndpointEvent,
  TokenIssuedEvent,
  TokenIntrospectedEvent,
  TokenRevokedEvent,
  RequestDeniedEvent,
  ThrottleStoreUnavailableEvent,
  EndpointName,
} from './core/events.js';

export { createStaticClientRegistry } from './clients/registry.js';
export type { ClientRegistry } from './clients/registry.js';
export type { ClientMetadata, TokenEndpointAuthMethod, JsonWebKeySet, TlsClientAuthField } from './clients/metadata.js';
export { hashClientSecret, generateClientSecret } from './clients/secrets.js';
export type { HashClientSecretOptions } from './clients/secrets.js';

export { createMemoryReplayStore } from './replay/memory-store.js';
export type { MemoryReplayStoreOptions } from './replay/memory-store.js';
export type { ReplayStore } from './replay/replay-store.js';

export { generateSigningKey } from './tokens/generate.js';
export type { SigningKeyInput, SigningKeyStatus, AccessTokenAlgorithm } from './tokens/signing-keys.js';
export type { AccessTokenClaims } from './tokens/access-token.js';

export { createRemoteKeySource } from './assertions/remote-key-source.js';
export type { RemoteKeySourceOptions, RemoteKeyFetchEvent, RemoteKeyFetchTrigger, RemoteKeyFailureReason } from './assertions/remote-key-source.js';
export type { ClientKeySource, ClientPublicKey } from './assertions/key-source.js';
export { createMemoryRevocationStore } from './revocation/revocation-store.js';
export type { RevocationStore, MemoryRevocationStoreOptions } from './revocation/revocation-store.js';
export { createMemoryThrottleStore } from './throttle/throttle.js';
export type { ThrottleStore, ThrottleOptions, ThrottleCount, MemoryThrottleStoreOptions } from './throttle/throttle.js';
export type { SecurityProfile } from './core/profile.js';
export { JWT_BEARER_ASSERTION_TYPE } from './assertions/verify-assertion.js';
export type { AudiencePolicy, AudienceShape } from './assertions/verify-assertion.js';
export type { AssertionAlgorithm } from './assertions/algorithms.js';

export { OAuthError, ConfigurationError, StoreUnavailableError } from './errors/errors.js';
export type { ConfigurationErrorCode } from './errors/errors.js';
export { REASONS } from './errors/reasons.js';
export type { ReasonCode, OAuthErrorCode } from './errors/reasons.js';
