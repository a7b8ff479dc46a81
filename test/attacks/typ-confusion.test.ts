/**
 * ATTACK: cross-JWT confusion (RFC 8725 §2.8, §3.11). A JWT minted for one purpose — an RFC 9068
 * access token, a DPoP proof (RFC 9449), an OIDC logout token, a SET — is replayed as a client
 * assertion, or the other way round. SPEC.md: "`typ` header: absent, `JWT` or
 * `client-authentication+jwt` accepted; any other explicit type rejected". And an access token
 * issued by this very server must never authenticate a client.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../src/tokens/generate.js';
import {
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  ISSUER,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal, segment } from './support.js';

const SERVER_KEY: JWK = generateSigningKey('ES256');

describe.each(ADAPTERS)('ATTACK typ confusion through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    // The server's signing key is known to the test, so it can forge "server-signed" assertions.
    context = await createConformanceContext({ signingKeys: [{ privateKey: SERVER_KEY }] });
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  const refusedAt = async (path: string, assertion: string, reason: 'assertion_typ_not_allowed' | 'assertion_key_not_found', extra: Record<string, string> = {}) => {
    const response = await server.request({
      path,
      body: new URLSearchParams(assertionParameters(assertion, extra)).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectRefusal(response, server, { status: 401, error: 'invalid_client', reason, wwwAuthenticate: false, secrets: [assertion] });
  };

  describe('RFC 8725 §3.11 explicit typing: another JWT type is never a client assertion', () => {
    it.each([
      'at+jwt',
      'application/at+jwt',
      'AT+JWT',
      'dpop+jwt',
      'logout+jwt',
      'secevent+jwt',
      'token-introspection+jwt',
      'JWT+at',
      'jwt ',
      '',
    ])('refuses typ %j signed by the registered key (assertion_typ_not_allowed)', async (typ) => {
      await refusedAt('/token', await assertionFor(context, 'pkjwt', context.keys.es256, { header: { typ } }), 'assertion_typ_not_allowed');
    });
    it.each([123, null, ['JWT'], { media: 'JWT' }])('refuses a non-string typ %j (assertion_typ_not_allowed)', async (typ) => {
      await refusedAt('/token', await assertionFor(context, 'pkjwt', context.keys.es256, { header: { typ } }), 'assertion_typ_not_allowed');
    });
    it.each(['JWT', 'jwt', 'application/jwt', 'client-authentication+jwt', 'application/client-authentication+jwt'])(
      'accepts typ %j (control)',
      async (typ) => {
        expectIssued(await server.post(assertionParameters(await assertionFor(context, 'pkjwt', context.keys.es256, { header: { typ } }))));
      },
    );
    it('refuses a DPoP proof shape (typ dpop+jwt, an embedded jwk, htm/htu claims) signed by the client key (assertion_typ_not_allowed)', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
        header: { typ: 'dpop+jwt', jwk: context.keys.es256.publicJwk },
        claims: { htm: 'POST', htu: `${ISSUER}/token` },
      });
      await refusedAt('/token', assertion, 'assertion_typ_not_allowed');
    });
  });

  describe('an access token issued by this server, replayed as a client assertion', () => {
    let accessToken: string;

    beforeAll(async () => {
      const issued = await server.post(assertionParameters(await assertionFor(context, 'pkjwt')));
      expectIssued(issued);
      accessToken = String(issued.json.access_token);
      expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt');
    });

    it.each(['/token', '/introspect', '/revoke'])('is refused at %s (assertion_typ_not_allowed), and is not echoed', async (path) => {
      await refusedAt(path, accessToken, 'assertion_typ_not_allowed', path === '/token' ? {} : { token: 'anything' });
    });
    it('is refused with client_id naming its own client in the body (assertion_typ_not_allowed)', async () => {
      await refusedAt('/token', accessToken, 'assertion_typ_not_allowed', { client_id: 'pkjwt' });
    });
    it("a JWT signed with the server's own signing key and kid, typ JWT and assertion claims, is refused: only the client's keys verify (assertion_key_not_found)", async () => {
      const now = Math.floor(context.clock.now / 1000);
      const header = { alg: 'ES256', typ: 'JWT', kid: decodeProtectedHeader(accessToken).kid };
      const input = `${segment(header)}.${segment({ iss: 'pkjwt', sub: 'pkjwt', aud: ISSUER, iat: now, exp: now + 60, jti: crypto.randomUUID() })}`;
      const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey({ key: SERVER_KEY as import('node:crypto').JsonWebKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' });
      await refusedAt('/token', `${input}.${signature.toString('base64url')}`, 'assertion_key_not_found');
    });
  });

  it('the reverse: a client assertion presented as the token to introspection is {"active": false}', async () => {
    const assertion = await assertionFor(context, 'pkjwt');
    const response = await server.request({
      path: '/introspect',
      body: new URLSearchParams({ token: assertion, client_id: 'secret-post', client_secret: CLIENT_SECRET }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.json).toEqual({ active: false });
  });
});
