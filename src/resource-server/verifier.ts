import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import {
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { invalidOption } from '../errors/errors.js';
import type { RevocationStore } from '../revocation/revocation-store.js';
import { constantTimeEqual, isPlainObject, sha256Text } from '../util/encoding.js';

/** Stable reasons a resource server refuses an access token (RFC 6750 §3.1 `invalid_token` unless noted). */
export type AccessTokenFailureReason =
  | 'token_missing' // no credentials at all: 401 with a bare Bearer challenge (RFC 6750 §3.1)
  | 'authorization_malformed' // 400 invalid_request
  | 'token_malformed'
  | 'token_signature_invalid'
  | 'token_type_invalid'
  | 'token_issuer_mismatch'
  | 'token_audience_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_claims_invalid'
  | 'token_revoked'
  | 'certificate_missing'
  | 'certificate_mismatch'
  | 'certificate_binding_required'
  | 'insufficient_scope' // 403 (RFC 6750 §3.1)
  | 'keys_unavailable' // the JWKS could not be fetched: 503, retry
  | 'revocation_unavailable'; // the revocation store could not answer: 503, retry

/**
 * A refused access token, with everything needed to answer: the status and the RFC 6750 §3
 * `WWW-Authenticate` challenge. `message` is safe to show; `reason` is for logs.
 */
export class AccessTokenError extends Error {
  override readonly name = 'AccessTokenError';
  readonly code = 'ERR_M2M_ACCESS_TOKEN';
  readonly reason: AccessTokenFailureReason;
  readonly error: 'invalid_token' | 'invalid_request' | 'insufficient_scope' | undefined;
  readonly status: 400 | 401 | 403 | 503;
  readonly wwwAuthenticate: string;

  constructor(reason: AccessTokenFailureReason, description: string, requiredScope?: string) {
    super(description);
    this.reason = reason;
    if (reason === 'token_missing') {
      this.error = undefined;
      this.status = 401;
    } else if (reason === 'authorization_malformed') {
      this.error = 'invalid_request';
      this.status = 400;
    } else if (reason === 'insufficient_scope') {
      this.error = 'insufficient_scope';
      this.status = 403;
    } else if (reason === 'keys_unavailable' || reason === 'revocation_unavailable') {
      this.error = undefined;
      this.status = 503;
    } else {
      this.error = 'invalid_token';
      this.status = 401;
    }
    const parameters = [
      ...(this.error ? [`error="${this.error}"`, `error_description="${description.replace(/["\\]/g, '')}"`] : []),
      ...(requiredScope ? [`scope="${requiredScope}"`] : []),
    ];
    this.wwwAuthenticate = parameters.length > 0 ? `Bearer ${parameters.join(', ')}` : 'Bearer';
  }
}

/** Where the verifier gets the authorization server's public keys. */
export type VerifierKeys =
  | { readonly keys: readonly JWK[] }
  | {
      /** The authorization server's `jwks_uri` (https). */
      readonly uri: string;
      /** PEM CA bundle for the JWKS host, when it is not publicly trusted (tests, private PKI). */
      readonly ca?: string;
      /** Longest a fetched JWK Set is used before a refetch, ms. Default 10 minutes. */
      readonly cacheMaxAgeMs?: number;
      /** Least time between refetches triggered by an unknown `kid`, ms. Default 30 s. */
      readonly cooldownMs?: number;
      /** Fetch timeout, ms. Default 5 s. */
      readonly timeoutMs?: number;
    };

export interface AccessTokenVerifierOptions {
  /** The authorization server's issuer identifier; `iss` must equal it. */
  readonly issuer: string;
  /** This resource server's identifier(s); `aud` must contain one of them. */
  readonly audience: string | readonly string[];
  readonly jwks: VerifierKeys;
  /** Accepted token `alg`s. Default: ES256, ES384, PS256, RS256, EdDSA. */
  readonly algorithms?: readonly string[];
  /** Seconds of clock skew tolerated on `exp`/`iat`. Default 5. */
  readonly clockTolerance?: number;
  /**
   * The authorization server's revocation store (e.g. the same Redis store), so a token revoked
   * through RFC 7009 is refused here at once rather than at its expiry. A store that cannot
   * answer fails closed (503).
   */
  readonly revocation?: Pick<RevocationStore, 'isRevoked'>;
  /** Refuse tokens that are not certificate-bound (`cnf.x5t#S256`). Default false. */
  readonly requireCertificateBinding?: boolean;
  /** Clock in epoch milliseconds (tests). */
  readonly now?: () => number;
}

/** What the caller presents: the Authorization header (or the token itself) and the TLS client certificate. */
export interface AccessTokenPresentation {
  /** The `Authorization` header value, e.g. `Bearer eyJ…`. */
  readonly authorization?: string | undefined;
  /** The client certificate of this request (DER or parsed), for bound tokens. */
  readonly certificate?: Uint8Array | X509Certificate | undefined;
  /** Scopes the protected resource needs; all must be granted. */
  readonly requiredScopes?: readonly string[];
}

export interface VerifiedAccessToken {
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
  readonly audience: readonly string[];
  readonly expiresAt: number;
  readonly jti: string;
  /** The bound certificate thumbprint, when the token is certificate-bound. */
  readonly certificateThumbprint: string | undefined;
  readonly claims: Readonly<JWTPayload>;
}

export interface AccessTokenVerifier {
  /**
   * Verifies an RFC 9068 access token from this library's authorization server and, for a
   * certificate-bound token, that the presented client certificate is the one it is bound to
   * (RFC 8705 §3).
   *
   * Validated: signature (keys from the JWKS, `alg` allow-list), `typ: at+jwt`, `iss`, `aud`,
   * `exp` (required), `iat`/`nbf`, `client_id`, `cnf.x5t#S256` against the certificate, and
   * required scopes. Left to the caller: authorization beyond scopes (which client may do what).
   *
   * @throws AccessTokenError with the status and `WWW-Authenticate` to answer with.
   */
  verify(presentation: AccessTokenPresentation): Promise<VerifiedAccessToken>;
}

const DEFAULT_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** A minimal fetch for jose's remote JWK Set over node:https, so a private CA can be trusted. */
function httpsFetch(ca: string | undefined, timeoutMs: number): typeof fetch {
  return ((input: string | URL, init?: { headers?: Record<string, string>; signal?: AbortSignal }) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      if (url.protocol !== 'https:') {
        reject(new TypeError('the JWKS must be fetched over https'));
        return;
      }
      const request = https.get(url, { headers: init?.headers, ...(ca ? { ca } : {}), timeout: timeoutMs, signal: init?.signal }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 512 * 1024) {
            response.destroy(new Error('JWKS response too large'));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 500, headers }));
        });
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error('JWKS request timed out')));
      request.on('error', reject);
    })) as unknown as typeof fetch;
}

function keyResolver(keys: VerifierKeys): JWTVerifyGetKey {
  if ('keys' in keys) {
    if (!Array.isArray(keys.keys) || keys.keys.length === 0) throw invalidOption('jwks.keys', 'must be a non-empty array of public JWKs');
    return createLocalJWKSet({ keys: [...keys.keys] });
  }
  let url: URL;
  try {
    url = new URL(keys.uri);
  } catch {
    throw invalidOption('jwks.uri', 'must be the authorization server\'s https jwks_uri');
  }
  if (url.protocol !== 'https:') throw invalidOption('jwks.uri', 'must be an https URL');
  const timeoutMs = keys.timeoutMs ?? 5000;
  return createRemoteJWKSet(url, {
    cacheMaxAge: keys.cacheMaxAgeMs ?? 600_000,
    cooldownDuration: keys.cooldownMs ?? 30_000,
    timeoutDuration: timeoutMs,
    [customFetch]: httpsFetch(keys.ca, timeoutMs),
  });
}

function thumbprintOf(certificate: Uint8Array | X509Certificate): string {
  return sha256Text(certificate instanceof X509Certificate ? certificate.raw : certificate, 'base64url');
}

function translate(error: unknown): AccessTokenError {
  if (error instanceof AccessTokenError) return error;
  if (error instanceof joseErrors.JWTExpired) return new AccessTokenError('token_expired', 'the access token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'iss') return new AccessTokenError('token_issuer_mismatch', 'the access token was issued by another server');
    if (claim === 'aud') return new AccessTokenError('token_audience_mismatch', 'the access token is for another audience');
    if (claim === 'typ') return new AccessTokenError('token_type_invalid', 'the token is not an access token (typ at+jwt)');
    if (claim === 'nbf' || claim === 'iat') return new AccessTokenError('token_not_yet_valid', 'the access token is not valid yet');
    return new AccessTokenError('token_claims_invalid', 'the access token claims are invalid');
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return new AccessTokenError('keys_unavailable', 'the authorization server keys are unavailable');
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new AccessTokenError('token_signature_invalid', 'the access token signature is invalid');
  }
  if (error instanceof joseErrors.JOSEError) return new AccessTokenError('token_malformed', 'the access token is malformed');
  // A network failure while fetching the JWKS: say so, never the underlying message.
  return new AccessTokenError('keys_unavailable', 'the authorization server keys are unavailable');
}

/**
 * Creates the verifier a resource server uses for this library's access tokens.
 *
 * @example
 * const verifier = createAccessTokenVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   jwks: { uri: 'https://auth.example.com/jwks' },
 * });
 * const token = await verifier.verify({ authorization: req.headers.authorization, certificate: socket.getPeerX509Certificate() });
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-3
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  if (!isPlainObject(options)) throw invalidOption('options', 'must be an object { issuer, audience, jwks }');
  if (typeof options.issuer !== 'string' || !options.issuer.startsWith('https://')) throw invalidOption('options.issuer', 'must be the https issuer identifier');
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
  if (audiences.length === 0 || audiences.some((value) => typeof value !== 'string' || value === '')) {
    throw invalidOption('options.audience', 'must be this resource server\'s identifier (a string or a non-empty array)');
  }
  if (!isPlainObject(options.jwks)) throw invalidOption('options.jwks', 'must be { uri } or { keys }');
  const getKey = keyResolver(options.jwks);
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) throw invalidOption('options.algorithms', 'asymmetric algorithms only');
  const clockTolerance = options.clockTolerance ?? 5;
  // Revocations are kept 60 s past exp: a larger tolerance would let a revoked token back in.
  if (!Number.isInteger(clockTolerance) || clockTolerance < 0 || clockTolerance > 60) {
    throw invalidOption('options.clockTolerance', 'must be an integer number of seconds from 0 to 60');
  }
  const now = options.now;

  return {
    async verify(presentation) {
      try {
        const authorization = presentation.authorization;
        if (authorization === undefined || authorization.trim() === '') throw new AccessTokenError('token_missing', 'an access token is required');
        const match = BEARER.exec(authorization.trim());
        if (!match) throw new AccessTokenError('authorization_malformed', 'the Authorization header must be "Bearer <token>"');
        const token = match[1] as string;
        if (token.length > 16_384) throw new AccessTokenError('token_malformed', 'the access token is too long');

        const { payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: audiences,
          algorithms,
          typ: 'at+jwt', // RFC 9068 §4: the explicit type must be checked.
          clockTolerance,
          requiredClaims: ['exp', 'iat', 'client_id', 'sub', 'jti'],
          ...(now ? { currentDate: new Date(now()) } : {}),
        });
        if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string' || typeof payload.sub !== 'string') {
          throw new AccessTokenError('token_claims_invalid', 'the access token claims are invalid');
        }

        // RFC 8705 §3: a bound token is only good with the certificate it is bound to.
        const cnf = payload.cnf as Record<string, unknown> | undefined;
        const bound = isPlainObject(cnf) && typeof cnf['x5t#S256'] === 'string' ? (cnf['x5t#S256'] as string) : undefined;
        if (bound !== undefined) {
          if (!presentation.certificate) throw new AccessTokenError('certificate_missing', 'this access token is bound to a client certificate that was not presented');
          if (!constantTimeEqual(thumbprintOf(presentation.certificate), bound)) {
            throw new AccessTokenError('certificate_mismatch', 'the client certificate does not match the access token binding');
          }
        } else if (options.requireCertificateBinding) {
          throw new AccessTokenError('certificate_binding_required', 'a certificate-bound access token is required');
        }

        if (options.revocation) {
          let revoked: boolean;
          try {
            revoked = await options.revocation.isRevoked(payload.jti);
          } catch {
            throw new AccessTokenError('revocation_unavailable', 'token revocation state is unavailable, retry later');
          }
          if (revoked) throw new AccessTokenError('token_revoked', 'the access token has been revoked');
        }

        const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []);
        const missing = (presentation.requiredScopes ?? []).filter((scope) => !scopes.has(scope));
        if (missing.length > 0) {
          throw new AccessTokenError('insufficient_scope', 'the access token lacks a required scope', (presentation.requiredScopes ?? []).join(' '));
        }
        return {
          clientId: payload.client_id,
          subject: payload.sub,
          scopes,
          audience: typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []),
          expiresAt: payload.exp as number,
          jti: payload.jti,
          certificateThumbprint: bound,
          claims: payload,
        };
      } catch (error) {
        throw translate(error);
      }
    },
  };
}
