import { type KeyObject, createPublicKey } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors/errors.js';
import type { ReplayStore } from '../../src/replay/replay-store.js';
import { assertionTypeUrn } from '../../src/testing/assertions.js';
import { generateKeyPair, toJwk } from '../../src/testing/pki.js';
import {
  type AdapterUnderTest,
  type ConformanceContext,
  ISSUER,
  OTHER_RESOURCE,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import type { HttpResult } from '../helpers/http.js';
import { ADAPTERS, serverTlsOptions } from '../helpers/servers.js';

const TOKEN_ENDPOINT_URL = `${ISSUER}/token`;

/** Epoch seconds of the frozen clock. */
function nowSeconds(context: ConformanceContext): number {
  return Math.floor(context.clock.now / 1000);
}

/**
 * RFC 7523 §3.2: every refusal is `invalid_client` (401); the body is exactly
 * `{error, error_description}`; the precise reason reaches the operator event only, and neither the
 * body nor the event carries the assertion.
 */
function expectRefused(
  response: HttpResult,
  server: AdapterUnderTest,
  reason: string,
  assertion?: string,
  type = 'client_authentication_failed',
): void {
  expect(response.status).toBe(401);
  expect(response.json.error).toBe('invalid_client');
  expect(Object.keys(response.json).sort()).toEqual(['error', 'error_description']);
  expect(typeof response.json.error_description).toBe('string');
  expect(response.json.error_description).not.toContain(reason);
  expect(response.text).not.toMatch(/Error:|at .*:\d+:\d+/);
  expect(response.headers['www-authenticate']).toBeUndefined();
  const event = server.lastEvent();
  expect(event.reason).toBe(reason);
  expect(event.decision).toBe('deny');
  expect(event.type).toBe(type);
  if (assertion !== undefined) {
    expect(response.text).not.toContain(assertion);
    // SPEC.md "Operator events": never an assertion — not even one of its segments.
    const recorded = JSON.stringify(event);
    for (const segment of assertion.split('.').filter((part) => part.length >= 16)) expect(recorded).not.toContain(segment);
  }
}

function expectIssued(response: HttpResult): void {
  expect(response.status, response.text).toBe(200);
  expect(typeof response.json.access_token).toBe('string');
  expect(response.json.token_type).toBe('Bearer');
}

/** A throw-away HTTPS server that counts every request: proof that a URL in a header was never fetched. */
interface TrapServer {
  readonly origin: string;
  readonly hits: string[];
  close(): Promise<void>;
}

async function startTrap(context: ConformanceContext, body: string): Promise<TrapServer> {
  const hits: string[] = [];
  const server = https.createServer(serverTlsOptions(context.pki), (request, response) => {
    hits.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.each(ADAPTERS)('RFC 7523 private_key_jwt through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let attacker: { privateKey: KeyObject; publicKey: KeyObject };
  let trap: TrapServer;

  beforeAll(async () => {
    context = await createConformanceContext();
    // A frozen clock on a whole second, so "14 s" and "16 s" are exact.
    context.clock.now = Math.floor(Date.now() / 1000) * 1000;
    server = await mount(adapter, context);
    attacker = await generateKeyPair('ec-p256');
    trap = await startTrap(context, JSON.stringify({ keys: [{ ...toJwk(attacker.publicKey), kid: 'attacker-key' }] }));
  });
  afterAll(async () => {
    await server.server.close();
    await trap.close();
  });

  const send = (assertion: string, extra: Record<string, string> = {}) => server.post(assertionParameters(assertion, extra));

  describe('RFC 7523 §2.2 / RFC 7521 §4.2: client_assertion_type is "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"', () => {
    it('accepts the exact URN', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt')));
    });
    it.each([
      ['the SAML bearer type', 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer'],
      ['different case', assertionTypeUrn.toUpperCase()],
      ['a trailing space', `${assertionTypeUrn} `],
      ['a prefix of the URN', 'urn:ietf:params:oauth:client-assertion-type'],
    ])('refuses %s with invalid_client', async (_name, type) => {
      const assertion = await assertionFor(context, 'pkjwt');
      const response = await server.post({ ...assertionParameters(assertion), client_assertion_type: type });
      expectRefused(response, server, 'assertion_type_unsupported', assertion);
    });
    it('refuses a client_assertion sent without client_assertion_type', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const response = await server.post({ grant_type: 'client_credentials', client_assertion: assertion });
      expectRefused(response, server, 'assertion_type_unsupported', assertion);
    });
  });

  describe('RFC 7515 §7.1 / SPEC.md "Compact JWS only; length capped (default 8 KiB)"', () => {
    it.each([
      ['the JWS JSON serialization', () => JSON.stringify({ protected: 'eyJhbGciOiJFUzI1NiJ9', payload: 'e30', signature: 'AAAA' })],
      ['a flattened JSON JWS wrapping a valid compact one', () => JSON.stringify({ jws: 'a.b.c' })],
      ['garbage', () => 'not-a-jwt'],
      ['two segments', () => 'eyJhbGciOiJFUzI1NiJ9.e30'],
      ['five segments (JWE compact form)', () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'],
      ['a header that is not JSON', () => 'bm90IGpzb24.e30.AAAA'],
      ['a payload that is not JSON', () => 'eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.AAAA'],
    ])('refuses %s as assertion_malformed', async (_name, make) => {
      const assertion = make();
      expectRefused(await send(assertion), server, 'assertion_malformed');
    });
    it('accepts a compact JWS just under the 8 KiB cap', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { pad: 'x'.repeat(5800) } });
      expect(assertion.length).toBeGreaterThan(7800);
      expect(assertion.length).toBeLessThanOrEqual(8192);
      expectIssued(await send(assertion));
    });
    it('refuses an assertion over 8 KiB as assertion_too_long', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { pad: 'x'.repeat(6300) } });
      expect(assertion.length).toBeGreaterThan(8192);
      expectRefused(await send(assertion), server, 'assertion_too_long', assertion);
    });
  });

  describe('RFC 8725 §3.10 / SPEC.md "never dereference jku, x5u, or header jwk/x5c; kid is an opaque key into the client\'s own JWK Set"', () => {
    it('refuses an assertion signed by a key embedded in the jwk header, kid pointing nowhere', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        privateKey: attacker.privateKey,
        kid: 'attacker-key',
        header: { jwk: toJwk(attacker.publicKey) },
      });
      expectRefused(await send(assertion), server, 'assertion_key_not_found', assertion);
    });
    it('refuses an assertion signed by a key embedded in the jwk header, without kid', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        privateKey: attacker.privateKey,
        kid: undefined,
        header: { jwk: toJwk(attacker.publicKey) },
      });
      expectRefused(await send(assertion), server, 'assertion_signature_invalid', assertion);
    });
    it('refuses an attacker-signed assertion that names the registered kid and embeds its own jwk', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        privateKey: attacker.privateKey,
        header: { jwk: toJwk(attacker.publicKey) },
      });
      expectRefused(await send(assertion), server, 'assertion_signature_invalid', assertion);
    });
    it('refuses an attacker-signed assertion whose jku points at the attacker\'s JWK Set, and never fetches it', async () => {
      const before = trap.hits.length;
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        privateKey: attacker.privateKey,
        kid: 'attacker-key',
        header: { jku: `${trap.origin}/jwks.json` },
      });
      expectRefused(await send(assertion), server, 'assertion_key_not_found', assertion);
      expect(trap.hits.length).toBe(before);
    });
    it('refuses an attacker-signed assertion carrying an x5c certificate of the attacker\'s key', async () => {
      const certificate = await context.pki.issueClientCertificate({ subject: 'CN=pkjwt', keyType: 'ec-p256' });
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        privateKey: certificate.privateKey,
        kid: undefined,
        header: { x5c: [certificate.der.toString('base64')] },
      });
      expectRefused(await send(assertion), server, 'assertion_signature_invalid', assertion);
    });
    it('judges a valid assertion that merely carries x5u and jku headers by the registered key, and fetches neither', async () => {
      const before = trap.hits.length;
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        header: { x5u: `${trap.origin}/cert.pem`, jku: `${trap.origin}/jwks.json` },
      });
      const response = await send(assertion);
      expectIssued(response);
      expect(server.lastEvent().credentialId).toBe(context.keys.es256.kid);
      expect(trap.hits.length).toBe(before);
    });
    it('refuses an attacker-signed assertion carrying x5u, and never fetches it', async () => {
      const before = trap.hits.length;
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        privateKey: attacker.privateKey,
        header: { x5u: `${trap.origin}/cert.pem` },
      });
      expectRefused(await send(assertion), server, 'assertion_signature_invalid', assertion);
      expect(trap.hits.length).toBe(before);
    });
  });

  describe('RFC 8725 §3.1 "MUST NOT use any other algorithms"; SPEC.md alg allow-list, never none or HS*, key type fits alg, RSA ≥ 2048', () => {
    it.each([
      ['ES256', 'es256'],
      ['ES384', 'es384'],
      ['PS256', 'rsa'],
      ['PS384', 'rsa'],
      ['RS256', 'rsa'],
      ['EdDSA', 'ed25519'],
    ] as const)('accepts %s with the matching registered key', async (alg, keyName) => {
      const key = context.keys[keyName];
      const response = await send(await assertionFor(context, 'pkjwt', key, { alg }));
      expectIssued(response);
      expect(server.lastEvent().credentialId).toBe(key.kid);
    });
    it('refuses alg none (RFC 7519 §6 unsecured JWS) with assertion_alg_not_allowed', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { alg: 'none' });
      expect(assertion.endsWith('.')).toBe(true);
      expectRefused(await send(assertion), server, 'assertion_alg_not_allowed', assertion);
    });
    it('refuses alg none with a junk signature segment with assertion_alg_not_allowed', async () => {
      const unsigned = await assertionFor(context, 'pkjwt', context.keys.es256, { alg: 'none' });
      const assertion = `${unsigned}AAAA`;
      expectRefused(await send(assertion), server, 'assertion_alg_not_allowed', assertion);
    });
    it('refuses HS256 keyed with the client\'s public key PEM (key confusion) with assertion_alg_not_allowed', async () => {
      // The SPKI PEM of the registered RSA key, as anyone can derive it from the client's JWK Set.
      const publicPem = createPublicKey(context.keys.rsa.privateKey).export({ type: 'spki', format: 'pem' }).toString();
      const assertion = await assertionFor(context, 'pkjwt', context.keys.rsa, { privateKey: undefined, secret: publicPem, alg: 'HS256' });
      expectRefused(await send(assertion), server, 'assertion_alg_not_allowed', assertion);
    });
    it('refuses an algorithm outside the default allow-list even when the key fits (RS384)', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.rsa, { alg: 'RS384' });
      expectRefused(await send(assertion), server, 'assertion_alg_not_allowed', assertion);
    });
    it('refuses ES256 naming the RSA key with assertion_key_unsuitable', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { kid: context.keys.rsa.kid });
      expectRefused(await send(assertion), server, 'assertion_key_unsuitable', assertion);
    });
    it('refuses ES384 naming the P-256 key with assertion_key_unsuitable', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es384, { kid: context.keys.es256.kid });
      expectRefused(await send(assertion), server, 'assertion_key_unsuitable', assertion);
    });
    it('refuses RS256 with the registered RSA-1024 key with assertion_key_unsuitable', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.rsa1024, { alg: 'RS256' });
      expectRefused(await send(assertion), server, 'assertion_key_unsuitable', assertion);
    });
    it('refuses a corrupted signature with assertion_signature_invalid', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { signature: 'corrupt' });
      expectRefused(await send(assertion), server, 'assertion_signature_invalid', assertion);
    });
    it('OIDC Registration token_endpoint_auth_signing_alg: the ES256-only client is accepted with ES256', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt-es256-only')));
    });
    it('OIDC Registration token_endpoint_auth_signing_alg: the ES256-only client refuses PS256 with assertion_alg_not_registered', async () => {
      const assertion = await assertionFor(context, 'pkjwt-es256-only', context.keys.rsa, { alg: 'PS256' });
      expectRefused(await send(assertion), server, 'assertion_alg_not_registered', assertion);
    });
  });

  describe('RFC 8725 §3.11 explicit typing: typ absent, "JWT" or "client-authentication+jwt"; any other type refused', () => {
    it.each([
      ['absent', undefined],
      ['JWT', 'JWT'],
      ['client-authentication+jwt', 'client-authentication+jwt'],
      ['application/client-authentication+jwt', 'application/client-authentication+jwt'],
    ])('accepts typ %s', async (_name, typ) => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, typ === undefined ? {} : { header: { typ } });
      expectIssued(await send(assertion));
    });
    it.each(['at+jwt', 'application/at+jwt', 'dpop+jwt', 'logout+jwt', 'secevent+jwt'])('refuses typ %s with assertion_typ_not_allowed', async (typ) => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { header: { typ } });
      expectRefused(await send(assertion), server, 'assertion_typ_not_allowed', assertion);
    });
  });

  describe('RFC 7515 §4.1.11 crit: "the recipient MUST reject the JWS" when it does not understand a listed extension', () => {
    it('refuses a crit header with assertion_crit_unsupported', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        header: { crit: ['urn:example:ext'], 'urn:example:ext': true },
      });
      expectRefused(await send(assertion), server, 'assertion_crit_unsupported', assertion);
    });
    it('accepts an unknown header parameter that is not critical', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { header: { 'urn:example:ext': true } })));
    });
  });

  describe('RFC 7523 §3 items 1–2 / OIDC Core §9: "iss ... MUST contain the client_id"; "sub ... MUST be the client_id"', () => {
    it('accepts iss = sub = client_id', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt')));
    });
    it('refuses iss different from the client with assertion_iss_mismatch', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { iss: 'someone-else' } });
      expectRefused(await send(assertion), server, 'assertion_iss_mismatch', assertion);
    });
    it('refuses a missing sub (client named by iss) with assertion_sub_mismatch', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { omit: ['sub'] });
      expectRefused(await send(assertion), server, 'assertion_sub_mismatch', assertion);
    });
    it('refuses a non-string sub with assertion_sub_mismatch', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { sub: 42 } });
      expectRefused(await send(assertion), server, 'assertion_sub_mismatch', assertion);
    });
    it('refuses sub naming another client that shares the key (iss ≠ that client)', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { sub: 'pkjwt-es256-only' } });
      expectRefused(await send(assertion), server, 'assertion_iss_mismatch', assertion);
    });
  });

  describe('draft-ietf-oauth-rfc7523bis §4 aud (rfc7523bis policy): "the issuer identifier as the sole value, a string or a one-element array"', () => {
    it('accepts the issuer as a string, reported as issuer_string', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt')));
      expect(server.lastEvent()).toMatchObject({ type: 'token_issued', assertionAudienceShape: 'issuer_string' });
    });
    it('accepts a one-element array holding the issuer, reported as issuer_array', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: [ISSUER] } })));
      expect(server.lastEvent()).toMatchObject({ type: 'token_issued', assertionAudienceShape: 'issuer_array' });
    });
    it('refuses the token endpoint URL with aud_not_issuer', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: TOKEN_ENDPOINT_URL } });
      expectRefused(await send(assertion), server, 'aud_not_issuer', assertion);
    });
    it('refuses the issuer with a trailing slash (simple string comparison) with aud_not_issuer', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: `${ISSUER}/` } });
      expectRefused(await send(assertion), server, 'aud_not_issuer', assertion);
    });
    it('refuses [issuer, other] with aud_multiple_values', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: [ISSUER, 'https://evil.example'] } });
      expectRefused(await send(assertion), server, 'aud_multiple_values', assertion);
    });
    it('refuses a missing aud with aud_missing', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { omit: ['aud'] });
      expectRefused(await send(assertion), server, 'aud_missing', assertion);
    });
    it('refuses an empty aud array with aud_missing', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: [] } });
      expectRefused(await send(assertion), server, 'aud_missing', assertion);
    });
  });

  describe('FAPI 2.0 Security Profile (fapi2 policy): "the issuer identifier as a string only"', () => {
    it('accepts the issuer as a string', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt-fapi2-aud')));
      expect(server.lastEvent()).toMatchObject({ clientId: 'pkjwt-fapi2-aud', assertionAudienceShape: 'issuer_string' });
    });
    it('refuses a one-element array with aud_array_not_allowed', async () => {
      const assertion = await assertionFor(context, 'pkjwt-fapi2-aud', context.keys.es256, { claims: { aud: [ISSUER] } });
      expectRefused(await send(assertion), server, 'aud_array_not_allowed', assertion);
    });
    it('refuses the token endpoint URL with aud_not_issuer', async () => {
      const assertion = await assertionFor(context, 'pkjwt-fapi2-aud', context.keys.es256, { claims: { aud: TOKEN_ENDPOINT_URL } });
      expectRefused(await send(assertion), server, 'aud_not_issuer', assertion);
    });
  });

  describe('RFC 7523 §3 item 3 as first written (legacy policy, opt-in): "The token endpoint URL ... MAY be used as a value for an aud element"', () => {
    it('accepts the token endpoint URL, reported as token_endpoint_string', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt-legacy-aud', context.keys.es256, { claims: { aud: TOKEN_ENDPOINT_URL } })));
      expect(server.lastEvent()).toMatchObject({ clientId: 'pkjwt-legacy-aud', assertionAudienceShape: 'token_endpoint_string' });
    });
    it('accepts [issuer, token endpoint], reported as mixed_array', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt-legacy-aud', context.keys.es256, { claims: { aud: [ISSUER, TOKEN_ENDPOINT_URL] } })));
      expect(server.lastEvent()).toMatchObject({ assertionAudienceShape: 'mixed_array' });
    });
    it('accepts the issuer string, reported as issuer_string', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt-legacy-aud')));
      expect(server.lastEvent()).toMatchObject({ assertionAudienceShape: 'issuer_string' });
    });
    it('refuses [issuer, "https://evil.example"] with aud_not_issuer', async () => {
      const assertion = await assertionFor(context, 'pkjwt-legacy-aud', context.keys.es256, { claims: { aud: [ISSUER, 'https://evil.example'] } });
      expectRefused(await send(assertion), server, 'aud_not_issuer', assertion);
    });
    it('refuses another server\'s token endpoint with aud_not_issuer', async () => {
      const assertion = await assertionFor(context, 'pkjwt-legacy-aud', context.keys.es256, { claims: { aud: 'https://evil.example/token' } });
      expectRefused(await send(assertion), server, 'aud_not_issuer', assertion);
    });
  });

  describe('RFC 7523 §3 items 4–6: exp required, "MUST reject any JWT with an expiration time that has passed, subject to allowable clock skew" (tolerance 15 s)', () => {
    it('refuses a missing exp with exp_missing', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { omit: ['exp'] });
      expectRefused(await send(assertion), server, 'exp_missing', assertion);
    });
    it('refuses a non-numeric exp with exp_invalid', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { exp: String(nowSeconds(context) + 60) } });
      expectRefused(await send(assertion), server, 'exp_invalid', assertion);
    });
    it('accepts exp 14 s in the past', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { exp: nowSeconds(context) - 14 } })));
    });
    it('refuses exp 16 s in the past with assertion_expired', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { exp: nowSeconds(context) - 16 } });
      expectRefused(await send(assertion), server, 'assertion_expired', assertion);
    });
    it('accepts iat 14 s in the future', async () => {
      const iat = nowSeconds(context) + 14;
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { iat, exp: iat + 60 } })));
    });
    it('refuses iat 16 s in the future with iat_in_future', async () => {
      const iat = nowSeconds(context) + 16;
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { iat, exp: iat + 60 } });
      expectRefused(await send(assertion), server, 'iat_in_future', assertion);
    });
    it('accepts nbf 14 s in the future', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { nbf: nowSeconds(context) + 14 } })));
    });
    it('refuses nbf 16 s in the future with nbf_in_future', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { nbf: nowSeconds(context) + 16 } });
      expectRefused(await send(assertion), server, 'nbf_in_future', assertion);
    });
  });

  describe('SPEC.md lifetime cap 300 s ("exp − iat, or exp − now without iat") so the replay window is bounded', () => {
    it('accepts exp − iat = 300', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { lifetimeSeconds: 300 })));
    });
    it('refuses exp − iat = 301 with lifetime_too_long', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { lifetimeSeconds: 301 });
      expectRefused(await send(assertion), server, 'lifetime_too_long', assertion);
    });
    it('accepts exp − now = 300 without iat', async () => {
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { omit: ['iat'], claims: { exp: nowSeconds(context) + 300 } })));
    });
    it('refuses exp − now = 301 without iat with lifetime_too_long', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { omit: ['iat'], claims: { exp: nowSeconds(context) + 301 } });
      expectRefused(await send(assertion), server, 'lifetime_too_long', assertion);
    });
    it('refuses an iat far in the past with an exp still valid (exp − iat too long)', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { iat: nowSeconds(context) - 3600, exp: nowSeconds(context) + 30 } });
      expectRefused(await send(assertion), server, 'lifetime_too_long', assertion);
    });
  });

  describe('configured clockTolerance and maxLifetime replace the defaults', () => {
    let strict: AdapterUnderTest;
    beforeAll(async () => {
      strict = await mount(adapter, context, context.createEndpoint({ clientAssertion: { clockTolerance: 0, maxLifetime: 60 } }));
    });
    afterAll(() => strict.server.close());
    const sendStrict = (assertion: string) => strict.post(assertionParameters(assertion));

    it('accepts exp = now and lifetime 60 with tolerance 0', async () => {
      expectIssued(await sendStrict(await assertionFor(context, 'pkjwt', context.keys.es256, { lifetimeSeconds: 60 })));
    });
    it('refuses exp 1 s in the past with tolerance 0', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { exp: nowSeconds(context) - 1 } });
      expectRefused(await sendStrict(assertion), strict, 'assertion_expired', assertion);
    });
    it('refuses lifetime 61 with maxLifetime 60', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { lifetimeSeconds: 61 });
      expectRefused(await sendStrict(assertion), strict, 'lifetime_too_long', assertion);
    });
  });

  describe('RFC 7523 §3 item 7 / SPEC.md: jti required and single use, consumed once after every other check', () => {
    it('refuses a missing jti with jti_missing', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { omit: ['jti'] });
      expectRefused(await send(assertion), server, 'jti_missing', assertion);
    });
    it('refuses the same assertion the second time with jti_replayed, event type replay_detected', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      expectIssued(await send(assertion));
      expectRefused(await send(assertion), server, 'jti_replayed', assertion, 'replay_detected');
    });
    it('refuses a new assertion that reuses a jti already spent by the same client', async () => {
      const jti = `reused-${adapter}`;
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { jti } })));
      const again = await assertionFor(context, 'pkjwt', context.keys.rsa, { claims: { jti } });
      expectRefused(await send(again), server, 'jti_replayed', again, 'replay_detected');
    });
    it('keeps jti per client: two clients may use the same jti value', async () => {
      const jti = `shared-${adapter}`;
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { jti } })));
      expectIssued(await send(await assertionFor(context, 'pkjwt-fapi2-aud', context.keys.es256, { claims: { jti } })));
    });
    it('issues exactly one token for 50 concurrent requests reusing one assertion', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const firstEvent = context.events.length;
      const responses = await Promise.all(Array.from({ length: 50 }, () => send(assertion)));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(49);
      for (const response of responses.filter((r) => r.status !== 200)) {
        expect(response.json).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
      }
      const events = context.events.slice(firstEvent);
      expect(events).toHaveLength(50);
      expect(events.filter((event) => event.reason === 'jti_replayed')).toHaveLength(49);
      expect(events.filter((event) => event.type === 'token_issued')).toHaveLength(1);
    });
    it('does not burn the jti of a request refused for its scope: the same assertion then succeeds', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const refused = await send(assertion, { scope: 'admin' });
      expect(refused.status).toBe(400);
      expect(refused.json.error).toBe('invalid_scope');
      expect(server.lastEvent().reason).toBe('scope_not_allowed');
      const accepted = await send(assertion);
      expectIssued(accepted);
      expect(accepted.json.scope).toBe('read write');
    });
    it('does not burn the jti of a request refused for its resource: the same assertion then succeeds', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const refused = await send(assertion, { resource: 'https://not-allowed.example' });
      expect(refused.json.error).toBe('invalid_target');
      expectIssued(await send(assertion, { resource: OTHER_RESOURCE }));
    });
    it('does not burn the jti of an assertion refused for its audience', async () => {
      const jti = `aud-first-${adapter}`;
      const wrong = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { jti, aud: TOKEN_ENDPOINT_URL } });
      expectRefused(await send(wrong), server, 'aud_not_issuer', wrong);
      expectIssued(await send(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { jti } })));
    });
  });

  describe('single use holds whatever the endpoint clock says (default replay store)', () => {
    it('refuses a replay when the endpoint clock is set far from the system clock', async () => {
      const fixed = Date.UTC(2001, 8, 9, 1, 46, 40);
      const pastServer = await mount(adapter, context, context.createEndpoint({ now: () => fixed }));
      try {
        const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { now: fixed / 1000 });
        expectIssued(await pastServer.post(assertionParameters(assertion)));
        expectRefused(await pastServer.post(assertionParameters(assertion)), pastServer, 'jti_replayed', assertion, 'replay_detected');
      } finally {
        await pastServer.server.close();
      }
    });
  });

  describe('SPEC.md "A store failure fails closed (503 temporarily_unavailable), never open"', () => {
    const stores: [string, ReplayStore][] = [
      ['a store whose client throws a plain Error', { consume: async () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:6379')) }],
      ['a store that throws StoreUnavailableError', {
        consume: async () => {
          throw new StoreUnavailableError('replay_store_unavailable', 'redis timeout after 200 ms');
        },
      }],
      ['a store that throws synchronously', {
        consume: (() => {
          throw new TypeError('Cannot read properties of undefined (reading "set")');
        }) as ReplayStore['consume'],
      }],
    ];
    it.each(stores)('answers 503 temporarily_unavailable and no token for %s', async (_name, replayStore) => {
      const failing = await mount(adapter, context, context.createEndpoint({ replayStore }));
      try {
        const assertion = await assertionFor(context, 'pkjwt');
        const response = await failing.post(assertionParameters(assertion));
        expect(response.status).toBe(503);
        expect(response.json.error).toBe('temporarily_unavailable');
        expect(Object.keys(response.json).sort()).toEqual(['error', 'error_description']);
        expect(response.json).not.toHaveProperty('access_token');
        expect(response.text).not.toMatch(/ECONNREFUSED|redis|6379|Cannot read|Error:/);
        const event = failing.lastEvent();
        expect(event.reason).toBe('replay_store_unavailable');
        expect(event.type).toBe('store_unavailable');
        expect(event.decision).toBe('deny');
      } finally {
        await failing.server.close();
      }
    });
    it('answers 200 with a working store (the same endpoint shape)', async () => {
      const seen = new Set<string>();
      const replayStore: ReplayStore = {
        consume: async (clientId, jti) => {
          const key = `${clientId.length}:${clientId}:${jti}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        },
      };
      const working = await mount(adapter, context, context.createEndpoint({ replayStore }));
      try {
        expectIssued(await working.post(assertionParameters(await assertionFor(context, 'pkjwt'))));
        expect(seen.size).toBe(1);
      } finally {
        await working.server.close();
      }
    });
  });
});

