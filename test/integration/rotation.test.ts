import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashClientSecret } from '../../src/clients/secrets.js';
import { type TokenEndpoint, createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { createAccessTokenVerifier } from '../../src/resource-server/index.js';
import { type TestPki, createTestPki } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import { FORM_CONTENT_TYPE, formBody, httpsRequest } from '../helpers/http.js';
import { type RunningServer, startServer } from '../helpers/servers.js';

const ISSUER = 'https://as.rotation.test';
const AUDIENCE = 'https://api.rotation.test';
const OLD_SECRET = 'old-secret-0123456789abcdef';
const NEW_SECRET = 'new-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rotation without downtime', () => {
  let pki: TestPki;
  let endpoint: TokenEndpoint;
  let server: RunningServer;
  const keyA = generateSigningKey('ES256');
  const keyB = generateSigningKey('EdDSA');

  beforeAll(async () => {
    pki = await createTestPki();
    endpoint = createTokenEndpoint({
      issuer: ISSUER,
      defaultAudience: AUDIENCE,
      accessTokenTtl: 2,
      signingKeys: [{ privateKey: keyA, kid: 'A' }],
      clients: [
        { client_id: 'svc', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: [await hashClientSecret(OLD_SECRET), await hashClientSecret(NEW_SECRET)], scope: 'read' },
      ],
    });
    server = await startServer('node', endpoint, pki);
  });
  afterAll(() => server.close());

  const getToken = async (secret = NEW_SECRET) => {
    const response = await httpsRequest(`${server.origin}/token`, {
      body: formBody({ grant_type: 'client_credentials', client_id: 'svc', client_secret: secret }),
      headers: FORM_CONTENT_TYPE,
      ca: pki.trustAnchorsPem,
    });
    return response;
  };

  it('server signing key: next → current → retired → removed, with a live verifier, and no token fails verification', async () => {
    // The verifier caches the JWKS for 300 ms here (the server says max-age 300 s; the rotation
    // steps below wait for the verifier's cache age, as the documented procedure does).
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { uri: `${server.origin}/jwks`, ca: pki.trustAnchorsPem, cacheMaxAgeMs: 300, cooldownMs: 60_000 },
    });
    const issued: string[] = [];
    const failures: string[] = [];
    const kidsSeen = new Set<string>();
    let running = true;
    const traffic = (async () => {
      while (running) {
        const response = await getToken();
        const token = String(response.json.access_token);
        issued.push(token);
        kidsSeen.add(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid as string);
        // Verify this token and every token issued in the last second (still valid, possibly by an older key).
        for (const recent of issued.slice(-20)) {
          await verifier.verify({ authorization: `Bearer ${recent}` }).catch((error: { reason?: string }) => {
            const payload = JSON.parse(Buffer.from(recent.split('.')[1] as string, 'base64url').toString()) as { exp: number };
            if (payload.exp > Date.now() / 1000 + 0.2) failures.push(String(error.reason));
          });
        }
        await sleep(20);
      }
    })();

    await sleep(400);
    endpoint.updateSigningKeys([{ privateKey: keyA, kid: 'A', status: 'current' }, { privateKey: keyB, kid: 'B', status: 'next' }]);
    await sleep(600); // > the verifier's JWKS cache age: it now knows B
    endpoint.updateSigningKeys([{ privateKey: keyA, kid: 'A', status: 'retired' }, { privateKey: keyB, kid: 'B', status: 'current' }]);
    await sleep(2500); // > the access-token lifetime: nothing signed by A is still valid
    endpoint.updateSigningKeys([{ privateKey: keyB, kid: 'B', status: 'current' }]);
    await sleep(600);
    running = false;
    await traffic;

    expect(kidsSeen).toEqual(new Set(['A', 'B']));
    expect(issued.length).toBeGreaterThan(20);
    expect(failures).toEqual([]);
    const jwks = JSON.parse(endpoint.jwks().body) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(['B']);
  });

  it('a bad key list is refused and the keys in use stay', () => {
    const before = endpoint.jwks().body;
    expect(() => endpoint.updateSigningKeys([{ privateKey: keyB, status: 'next' }])).toThrow(/exactly one key must have status "current"/);
    expect(endpoint.jwks().body).toBe(before);
  });

  it('client secret: two active secrets while rolling, then only the new one', async () => {
    expect((await getToken(OLD_SECRET)).status).toBe(200);
    expect((await getToken(NEW_SECRET)).status).toBe(200);
    const rolled = createTokenEndpoint({
      issuer: ISSUER,
      defaultAudience: AUDIENCE,
      signingKeys: [{ privateKey: keyA }],
      clients: [{ client_id: 'svc', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: await hashClientSecret(NEW_SECRET), scope: 'read' }],
    });
    const request = (secret: string) =>
      rolled.token({ method: 'POST', headers: FORM_CONTENT_TYPE, body: formBody({ grant_type: 'client_credentials', client_id: 'svc', client_secret: secret }) });
    expect((await request(OLD_SECRET)).status).toBe(401);
    expect((await request(NEW_SECRET)).status).toBe(200);
  });
});
