import type { JWK } from 'jose';
import { type TlsIdentityMatcher, compileTlsIdentityMatcher } from '../certificates/identity.js';
import { invalidClientMetadata } from '../errors/errors.js';
import { isPlainObject } from '../util/encoding.js';
import { parseScope } from '../util/scope.js';
import { type SecretVerifier, parseSecretVerifier, plaintextSecretVerifier } from './secrets.js';

/** RFC 7591 §2 / RFC 8705 §2.1.2 client authentication methods. */
export type TokenEndpointAuthMethod =
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'none';

export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'client_secret_basic',
  'client_secret_post',
  'none',
];

/** RFC 8705 §2.1.2: the five ways a `tls_client_auth` client names its certificate. */
export const TLS_CLIENT_AUTH_FIELDS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;
export type TlsClientAuthField = (typeof TLS_CLIENT_AUTH_FIELDS)[number];

export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

/**
 * Client metadata, with RFC 7591 and RFC 8705 member names. Members marked "extension" are ours.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2
 */
export interface ClientMetadata {
  readonly client_id: string;
  readonly token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** RFC 7591: the client's public keys (private_key_jwt; x5c for self_signed_tls_client_auth). */
  readonly jwks?: JsonWebKeySet;
  /** RFC 7591: where the client publishes its JWK Set. */
  readonly jwks_uri?: string;
  /** OIDC Registration: when set, the only alg accepted for this client's assertions. */
  readonly token_endpoint_auth_signing_alg?: string;
  readonly tls_client_auth_subject_dn?: string;
  readonly tls_client_auth_san_dns?: string;
  readonly tls_client_auth_san_uri?: string;
  readonly tls_client_auth_san_ip?: string;
  readonly tls_client_auth_san_email?: string;
  /** RFC 8705 §3.4: issue certificate-bound access tokens (cnf.x5t#S256). */
  readonly tls_client_certificate_bound_access_tokens?: boolean;
  /** RFC 7591: the shared secret, in plaintext. Prefer `client_secret_hash`. */
  readonly client_secret?: string;
  /**
   * Extension: one or more hashed secrets (`sha256:<base64url>` for generated high-entropy
   * secrets, `scrypt:<N>:<r>:<p>:<salt>:<hash>` for anything else). Two entries let a client
   * roll its secret without downtime. See `hashClientSecret`.
   */
  readonly client_secret_hash?: string | readonly string[];
  /** RFC 7591: space-separated scopes the client may request. */
  readonly scope?: string;
  /** RFC 7591: defaults to `["client_credentials"]`. */
  readonly grant_types?: readonly string[];
  /** Extension (RFC 8707): absolute URIs the client may name in `resource`. */
  readonly allowed_resources?: readonly string[];
  /** Extension: override of the server's client-assertion `aud` policy for this client. */
  readonly client_assertion_audience_policy?: 'rfc7523bis' | 'fapi2' | 'legacy';
  /** Extension (RFC 8705 §7.4): base64url SHA-256 of the issuing CA's SubjectPublicKeyInfo. */
  readonly tls_client_auth_issuer_spki_sha256?: string | readonly string[];
  /** Extension: a disabled client is refused at once (reason `client_disabled`). */
  readonly disabled?: boolean;
}

/** The validated, frozen form of a client that every request path reads. */
export interface ResolvedClient {
  readonly clientId: string;
  readonly authMethod: TokenEndpointAuthMethod;
  readonly jwks: JsonWebKeySet | undefined;
  readonly jwksUri: string | undefined;
  readonly signingAlg: string | undefined;
  /** The one registered `tls_client_auth_*` field, its value, and its compiled matcher (tls_client_auth only). */
  readonly tlsIdentity: { readonly field: TlsClientAuthField; readonly value: string; readonly matches: TlsIdentityMatcher } | undefined;
  readonly issuerSpkiPins: readonly string[];
  readonly certificateBoundTokens: boolean;
  readonly secretVerifiers: readonly SecretVerifier[];
  readonly scopes: ReadonlySet<string>;
  /** The registered scope string, normalised (single spaces, registration order). */
  readonly scope: string;
  readonly grantTypes: ReadonlySet<string>;
  readonly allowedResources: ReadonlySet<string>;
  readonly audiencePolicy: 'rfc7523bis' | 'fapi2' | 'legacy' | undefined;
  readonly disabled: boolean;
  readonly metadata: ClientMetadata;
}

const KNOWN_FIELDS = new Set<string>([
  'client_id',
  'token_endpoint_auth_method',
  'jwks',
  'jwks_uri',
  'token_endpoint_auth_signing_alg',
  ...TLS_CLIENT_AUTH_FIELDS,
  'tls_client_certificate_bound_access_tokens',
  'client_secret',
  'client_secret_hash',
  'scope',
  'grant_types',
  'allowed_resources',
  'client_assertion_audience_policy',
  'tls_client_auth_issuer_spki_sha256',
  'disabled',
  // Harmless RFC 7591 descriptive members a registration may carry.
  'client_name',
  'client_uri',
  'contacts',
  'software_id',
  'software_version',
  'client_id_issued_at',
  'client_secret_expires_at',
]);

const resolved = new WeakMap<ClientMetadata, ResolvedClient>();

/**
 * Validates client metadata once and returns its frozen resolved form, cached per metadata
 * object so a registry that returns the same object pays nothing on later requests.
 *
 * @param where how to name this client in an error, e.g. `clients[3]`.
 * @throws ConfigurationError naming the client and the field.
 */
export function resolveClient(metadata: ClientMetadata, where = 'client'): ResolvedClient {
  const cached = resolved.get(metadata);
  if (cached) return cached;
  const client = validateClient(metadata, where);
  resolved.set(metadata, client);
  return client;
}

function validateClient(metadata: ClientMetadata, where: string): ResolvedClient {
  if (!isPlainObject(metadata)) throw invalidClientMetadata(where, 'client metadata must be a plain object');
  const clientId: unknown = metadata.client_id;
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 255) {
    throw invalidClientMetadata(`${where}.client_id`, 'must be a non-empty string of at most 255 characters');
  }
  if (/[\u0000-\u001f\u007f]/.test(clientId)) {
    throw invalidClientMetadata(`${where}.client_id`, 'must not contain control characters');
  }
  const at = `${where} (client_id "${clientId}")`;
  const field = (name: string): string => `${at}.${name}`;

  for (const key of Object.keys(metadata)) {
    if (!KNOWN_FIELDS.has(key)) {
      throw invalidClientMetadata(field(key), 'is not a supported client metadata member; remove it or check its spelling');
    }
  }

  const authMethod: unknown = metadata.token_endpoint_auth_method;
  if (typeof authMethod !== 'string' || !(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(authMethod)) {
    throw invalidClientMetadata(
      field('token_endpoint_auth_method'),
      `must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')} (got ${JSON.stringify(authMethod)})`,
    );
  }
  const method = authMethod as TokenEndpointAuthMethod;

  const jwks = optionalJwks(metadata.jwks, field('jwks'));
  const jwksUri = optionalString(metadata.jwks_uri, field('jwks_uri'));
  if (jwksUri !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(jwksUri);
    } catch {
      throw invalidClientMetadata(field('jwks_uri'), 'must be an absolute URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw invalidClientMetadata(field('jwks_uri'), 'must be an https URL');
    }
  }
  if (jwks && jwksUri !== undefined) {
    throw invalidClientMetadata(field('jwks'), 'jwks and jwks_uri are mutually exclusive (RFC 7591 §2); keep one');
  }
  if ((method === 'private_key_jwt' || method === 'self_signed_tls_client_auth') && !jwks && jwksUri === undefined) {
    throw invalidClientMetadata(field('jwks'), `a ${method} client needs jwks or jwks_uri with its public keys`);
  }
  if (method === 'self_signed_tls_client_auth' && jwks && !jwks.keys.some((key) => Array.isArray(key.x5c) && key.x5c.length > 0)) {
    throw invalidClientMetadata(
      field('jwks'),
      'a self_signed_tls_client_auth client needs at least one key with an x5c certificate (RFC 8705 §2.2.2)',
    );
  }

  const signingAlg = optionalString(metadata.token_endpoint_auth_signing_alg, field('token_endpoint_auth_signing_alg'));
  if (signingAlg !== undefined && (signingAlg === 'none' || signingAlg.startsWith('HS'))) {
    throw invalidClientMetadata(
      field('token_endpoint_auth_signing_alg'),
      `"${signingAlg}" is not allowed: use an asymmetric algorithm such as ES256 or PS256`,
    );
  }

  const tlsFields = TLS_CLIENT_AUTH_FIELDS.filter((name) => metadata[name] !== undefined);
  for (const name of tlsFields) {
    const value = metadata[name];
    if (typeof value !== 'string' || value.length === 0) throw invalidClientMetadata(field(name), 'must be a non-empty string');
  }
  let tlsIdentity: ResolvedClient['tlsIdentity'];
  if (method === 'tls_client_auth') {
    if (tlsFields.length !== 1) {
      throw invalidClientMetadata(
        field(tlsFields.length === 0 ? 'tls_client_auth_subject_dn' : tlsFields.join('+')),
        `a tls_client_auth client must register exactly one of ${TLS_CLIENT_AUTH_FIELDS.join(', ')} (RFC 8705 §2.1.2); found ${tlsFields.length}`,
      );
    }
    const name = tlsFields[0] as TlsClientAuthField;
    const value = metadata[name] as string;
    let matches: TlsIdentityMatcher;
    try {
      matches = compileTlsIdentityMatcher(name, value);
    } catch (error) {
      throw invalidClientMetadata(field(name), `${(error as Error).message}; ${name === 'tls_client_auth_subject_dn' ? 'use an RFC 4514 string such as "CN=svc,O=Example,C=DE"' : name === 'tls_client_auth_san_ip' ? 'use an IPv4 or IPv6 address' : 'check the value'}`);
    }
    tlsIdentity = { field: name, value, matches };
  } else if (tlsFields.length > 0) {
    throw invalidClientMetadata(field(tlsFields[0] as string), `only tls_client_auth clients use ${tlsFields[0]}; remove it`);
  }

  const issuerSpkiPins = stringOrList(metadata.tls_client_auth_issuer_spki_sha256, field('tls_client_auth_issuer_spki_sha256'));
  for (const pin of issuerSpkiPins) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(pin)) {
      throw invalidClientMetadata(field('tls_client_auth_issuer_spki_sha256'), 'each pin must be a base64url SHA-256 (43 characters)');
    }
  }
  if (issuerSpkiPins.length > 0 && method !== 'tls_client_auth') {
    throw invalidClientMetadata(field('tls_client_auth_issuer_spki_sha256'), 'issuer pinning applies to tls_client_auth clients only');
  }

  const certificateBoundTokens = optionalBoolean(
    metadata.tls_client_certificate_bound_access_tokens,
    field('tls_client_certificate_bound_access_tokens'),
  );

  const plaintextSecret = optionalString(metadata.client_secret, field('client_secret'));
  const secretHashes = stringOrList(metadata.client_secret_hash, field('client_secret_hash'));
  const secretVerifiers: SecretVerifier[] = [];
  if (plaintextSecret !== undefined) {
    if (plaintextSecret.length < 16) {
      throw invalidClientMetadata(field('client_secret'), 'must be at least 16 characters; generate a random secret');
    }
    secretVerifiers.push(plaintextSecretVerifier(plaintextSecret));
  }
  secretHashes.forEach((hash, index) => {
    secretVerifiers.push(parseSecretVerifier(hash, `${field('client_secret_hash')}[${index}]`));
  });
  const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post';
  if (usesSecret && secretVerifiers.length === 0) {
    throw invalidClientMetadata(field('client_secret'), `a ${method} client needs client_secret or client_secret_hash`);
  }
  if (!usesSecret && secretVerifiers.length > 0) {
    throw invalidClientMetadata(
      field(plaintextSecret !== undefined ? 'client_secret' : 'client_secret_hash'),
      `a ${method} client must not have a secret; remove it`,
    );
  }
  if (secretVerifiers.length > 2) {
    throw invalidClientMetadata(field('client_secret_hash'), 'at most two secrets may be active (old and new while rolling)');
  }

  const scopeString = optionalString(metadata.scope, field('scope')) ?? '';
  const scopeList = parseScope(scopeString);
  if (scopeList === undefined) {
    throw invalidClientMetadata(field('scope'), 'must be space-separated scope tokens (RFC 6749 §3.3)');
  }

  const grantTypes = metadata.grant_types ?? ['client_credentials'];
  if (!Array.isArray(grantTypes) || grantTypes.some((grant) => typeof grant !== 'string')) {
    throw invalidClientMetadata(field('grant_types'), 'must be an array of strings');
  }

  const allowedResources = metadata.allowed_resources ?? [];
  if (!Array.isArray(allowedResources)) throw invalidClientMetadata(field('allowed_resources'), 'must be an array of absolute URIs');
  for (const resource of allowedResources) {
    if (typeof resource !== 'string' || !isAbsoluteUriWithoutFragment(resource)) {
      throw invalidClientMetadata(field('allowed_resources'), `${JSON.stringify(resource)} is not an absolute URI without a fragment (RFC 8707 §2)`);
    }
  }

  const audiencePolicy = metadata.client_assertion_audience_policy;
  if (audiencePolicy !== undefined && !['rfc7523bis', 'fapi2', 'legacy'].includes(audiencePolicy)) {
    throw invalidClientMetadata(field('client_assertion_audience_policy'), 'must be rfc7523bis, fapi2 or legacy');
  }

  const client: ResolvedClient = {
    clientId,
    authMethod: method,
    jwks,
    jwksUri,
    signingAlg,
    tlsIdentity,
    issuerSpkiPins,
    certificateBoundTokens: certificateBoundTokens ?? false,
    secretVerifiers,
    scopes: new Set(scopeList),
    scope: scopeList.join(' '),
    grantTypes: new Set(grantTypes),
    allowedResources: new Set(allowedResources),
    audiencePolicy,
    disabled: optionalBoolean(metadata.disabled, field('disabled')) ?? false,
    metadata,
  };
  return Object.freeze(client);
}

/** RFC 8707 §2: an absolute URI, no fragment. */
export function isAbsoluteUriWithoutFragment(value: string): boolean {
  if (value.includes('#')) return false;
  // RFC 3986 §2 has no place for controls, spaces or DEL; WHATWG URL parsing would silently drop
  // tabs and line breaks (or encode spaces) and call the rest valid.
  if (/[\u0000-\u0020\u007f]/.test(value)) return false;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw invalidClientMetadata(name, 'must be a non-empty string');
  return value;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidClientMetadata(name, 'must be true or false');
  return value;
}

function stringOrList(value: unknown, name: string): readonly string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw invalidClientMetadata(name, 'must be a string or an array of non-empty strings');
  }
  return list as string[];
}

function optionalJwks(value: unknown, name: string): JsonWebKeySet | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value) || !Array.isArray(value.keys) || value.keys.length === 0) {
    throw invalidClientMetadata(name, 'must be a JWK Set: {"keys": [ ... ]} with at least one key');
  }
  value.keys.forEach((key: unknown, index: number) => {
    if (!isPlainObject(key) || typeof key.kty !== 'string') {
      throw invalidClientMetadata(`${name}.keys[${index}]`, 'must be a JWK object with a kty member');
    }
    for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
      if (privateMember in key) {
        throw invalidClientMetadata(
          `${name}.keys[${index}]`,
          `contains the private or symmetric member "${privateMember}": register the public key only`,
        );
      }
    }
  });
  return value as unknown as JsonWebKeySet;
}
