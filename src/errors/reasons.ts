/**
 * The stable reason codes an operator sees in events, each tied to the RFC 6749 §5.2 error the
 * caller sees and a public description. A code, once published, is never reused for another
 * meaning; add new codes rather than changing one.
 *
 * The public description is deliberately generic where precision would help an attacker
 * (every private_key_jwt failure is `invalid_client`, RFC 7523 §3.2); the precise cause is the
 * reason code, which goes to the operator event only.
 */

/** RFC 6749 §5.2 (+ RFC 8707 `invalid_target`, RFC 6750 `invalid_token`) error codes we answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_token'
  | 'server_error'
  | 'temporarily_unavailable';

interface ReasonDefinition {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly description: string;
}

const clientAuthFailed = (description = 'client authentication failed'): ReasonDefinition => ({
  error: 'invalid_client',
  status: 401,
  description,
});
const assertionInvalid: ReasonDefinition = clientAuthFailed('the client assertion is invalid');
const certificateRefused: ReasonDefinition = clientAuthFailed('the client certificate was not accepted');
const clientKeysNotRetrieved: ReasonDefinition = clientAuthFailed('the client keys could not be retrieved');
const badRequest = (description: string, status = 400): ReasonDefinition => ({
  error: 'invalid_request',
  status,
  description,
});

export const REASONS = {
  // RFC 6749 §3.2 — the request itself.
  method_not_allowed: badRequest('the token endpoint accepts POST only', 405),
  content_type_unsupported: badRequest('the request body must be application/x-www-form-urlencoded'),
  charset_unsupported: badRequest('the request body must be UTF-8'),
  body_too_large: badRequest('the request body is too large', 413),
  body_malformed: badRequest('the request body is not valid form-urlencoded UTF-8'),
  parameter_repeated: badRequest('a request parameter was sent more than once'),
  grant_type_missing: badRequest('the grant_type parameter is required'),
  grant_type_unsupported: {
    error: 'unsupported_grant_type',
    status: 400,
    description: 'only the client_credentials grant type is supported',
  },
  grant_type_not_allowed: {
    error: 'unauthorized_client',
    status: 400,
    description: 'the client is not allowed to use this grant type',
  },
  scope_malformed: { error: 'invalid_scope', status: 400, description: 'the scope parameter is malformed' },
  scope_not_allowed: {
    error: 'invalid_scope',
    status: 400,
    description: 'the requested scope exceeds the scope registered for the client',
  },
  resource_invalid: {
    error: 'invalid_target',
    status: 400,
    description: 'the resource parameter must be an absolute URI without a fragment',
  },
  resource_multiple: {
    error: 'invalid_target',
    status: 400,
    description: 'only one resource parameter per request is supported',
  },
  resource_not_allowed: {
    error: 'invalid_target',
    status: 400,
    description: 'the client is not allowed to request a token for this resource',
  },
  audience_unavailable: {
    error: 'invalid_target',
    status: 400,
    description: 'a resource parameter is required: no default audience is configured',
  },
  token_missing: badRequest('the token parameter is required'),
  revocation_not_owner: badRequest('the token was not issued to this client'),
  certificate_binding_required: badRequest(
    'the client requires certificate-bound access tokens but presented no client certificate',
  ),

  // RFC 6749 §2.3 — client authentication: which mechanism, which client.
  client_auth_missing: clientAuthFailed('client authentication is required'),
  client_auth_multiple: badRequest('more than one client authentication mechanism was used'),
  authorization_scheme_unsupported: clientAuthFailed('only the Basic authorization scheme is supported'),
  basic_credentials_malformed: clientAuthFailed('the Basic credentials are malformed'),
  client_id_mismatch: clientAuthFailed('client_id does not match the authenticated client'),
  client_unknown: clientAuthFailed(),
  client_disabled: clientAuthFailed(),
  auth_method_not_registered: clientAuthFailed(
    'the client authentication method used is not the one registered for the client',
  ),
  auth_method_none_refused: {
    error: 'unauthorized_client',
    status: 400,
    description: 'public clients cannot use the client_credentials grant',
  },
  client_secret_mismatch: clientAuthFailed(),

  // RFC 7523 §3 / draft-ietf-oauth-rfc7523bis — client assertions. All invalid_client (§3.2).
  assertion_type_unsupported: clientAuthFailed(
    'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  ),
  assertion_missing: clientAuthFailed('client_assertion is required with client_assertion_type'),
  assertion_too_long: assertionInvalid,
  assertion_malformed: assertionInvalid,
  assertion_alg_not_allowed: assertionInvalid,
  assertion_alg_not_registered: assertionInvalid,
  assertion_typ_not_allowed: assertionInvalid,
  assertion_crit_unsupported: assertionInvalid,
  assertion_key_not_found: assertionInvalid,
  assertion_key_unsuitable: assertionInvalid,
  assertion_signature_invalid: assertionInvalid,
  assertion_iss_mismatch: assertionInvalid,
  assertion_sub_mismatch: assertionInvalid,
  aud_missing: assertionInvalid,
  aud_not_issuer: assertionInvalid,
  aud_array_not_allowed: assertionInvalid,
  aud_multiple_values: assertionInvalid,
  exp_missing: assertionInvalid,
  exp_invalid: assertionInvalid,
  assertion_expired: assertionInvalid,
  iat_invalid: assertionInvalid,
  iat_in_future: assertionInvalid,
  nbf_invalid: assertionInvalid,
  nbf_in_future: assertionInvalid,
  lifetime_too_long: assertionInvalid,
  jti_missing: assertionInvalid,
  jti_replayed: assertionInvalid,
  client_keys_unavailable: assertionInvalid,
  // The client's jwks_uri (createRemoteKeySource): why its JWK Set could not be used.
  jwks_uri_insecure: clientKeysNotRetrieved,
  jwks_fetch_timeout: clientKeysNotRetrieved,
  jwks_fetch_failed: clientKeysNotRetrieved,
  jwks_too_large: clientKeysNotRetrieved,
  jwks_redirect_refused: clientKeysNotRetrieved,
  jwks_invalid: clientKeysNotRetrieved,

  // RFC 8705 — mutual TLS.
  certificate_missing: clientAuthFailed('a client certificate is required'),
  certificate_malformed: certificateRefused,
  certificate_untrusted: certificateRefused,
  certificate_expired: certificateRefused,
  certificate_not_yet_valid: certificateRefused,
  certificate_chain_invalid: certificateRefused,
  certificate_usage_invalid: certificateRefused,
  certificate_issuer_pin_mismatch: certificateRefused,
  cert_subject_mismatch: certificateRefused,
  cert_san_mismatch: certificateRefused,
  self_signed_certificate_mismatch: certificateRefused,
  proxy_header_malformed: badRequest('the forwarded client certificate is malformed'),

  // Stores and everything unexpected: fail closed, say nothing internal.
  replay_store_unavailable: {
    error: 'temporarily_unavailable',
    status: 503,
    description: 'the service is temporarily unavailable, retry later',
  },
  revocation_store_unavailable: {
    error: 'temporarily_unavailable',
    status: 503,
    description: 'the service is temporarily unavailable, retry later',
  },
  replay_store_full: {
    error: 'temporarily_unavailable',
    status: 503,
    description: 'the service is temporarily unavailable, retry later',
  },
  throttled: {
    error: 'temporarily_unavailable',
    status: 429,
    description: 'too many failed authentication attempts; retry later',
  },
  internal_error: { error: 'server_error', status: 500, description: 'an internal error occurred' },
} as const satisfies Record<string, ReasonDefinition>;

/** A stable, documented reason code. Reported to the operator; never to the caller. */
export type ReasonCode = keyof typeof REASONS;

export function reasonDefinition(reason: ReasonCode): ReasonDefinition {
  return REASONS[reason];
}
