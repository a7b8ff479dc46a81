/**
 * ATTACK: a revoked access token comes back to life. RFC 7009 §2: after revocation the token
 * must not be usable. The revocation store may forget a `jti` once the token is dead anyway —
 * but a resource server verifier tolerates clock skew on `exp` (RFC 7519 §4.1.4 "some small
 * leeway"; ours defaults to 5 s), so a token is still *accepted* for that long after `exp`. If
 * the revocation is forgotten at `exp`, a stolen, revoked token works again in that window.
 */
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenVerifier } from '../../src/resource-server/index.js';
import { createMemoryRevocationStore } from '../../src/revocation/revocation-store.js';
import {
  type AdapterUnderTest,
  API_AUDIENCE,
  CLIENT_SECRET,
  type ConformanceContext,
  ISSUER,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { CORE_ADAPTERS } from './support.js';

describe.each(CORE_ADAPTERS)('ATTACK revoked-token resurrection through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  const clock = { now: 0 };
  const revocationStore = createMemoryRevocationStore({ now: () => clock.now });

  beforeAll(async () => {
    context = await createConformanceContext({ revocationStore, accessTokenTtl: 60 });
    clock.now = Math.floor(Date.now() / 1000) * 1000;
    context.clock.now = clock.now;
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  it('RFC 7009 §2: a revoked token stays refused by a resource server (clockTolerance 5 s, sharing the revocation store) through exp + its leeway', async () => {
    const issued = await server.post({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET });
    expect(issued.status, issued.text).toBe(200);
    const token = String(issued.json.access_token);
    const revocation = await server.request({
      path: '/revoke',
      body: new URLSearchParams({ token, client_id: 'secret-post', client_secret: CLIENT_SECRET }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(revocation.status).toBe(200);

    const keys = (JSON.parse(context.endpoint.jwks().body) as { keys: JWK[] }).keys;
    const verifier = createAccessTokenVerifier({ issuer: ISSUER, audience: API_AUDIENCE, jwks: { keys }, revocation: revocationStore, now: () => clock.now, clockTolerance: 5 });
    const issuedAt = clock.now;
    try {
      // exp = iat + 60. Through exp + 5 s jose still accepts signature and times, so only the
      // revocation can refuse; after that the token has expired by itself.
      for (const [offsetSeconds, reason] of [[0, 'token_revoked'], [59, 'token_revoked'], [60, 'token_revoked'], [62, 'token_revoked'], [64, 'token_revoked'], [66, 'token_expired']] as const) {
        clock.now = issuedAt + offsetSeconds * 1000;
        const outcome = await verifier.verify({ authorization: `Bearer ${token}` }).then(
          () => 'accepted',
          (error: { reason: string }) => error.reason,
        );
        expect(outcome, `at iat + ${offsetSeconds} s`).toBe(reason);
      }
    } finally {
      clock.now = issuedAt;
    }
  });
});
