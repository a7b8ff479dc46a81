/**
 * ATTACK: client-id enumeration through the answer. An attacker probing `client_id`s with a
 * wrong secret must not learn which ones exist: RFC 6749 §5.2 gives both cases the same
 * `invalid_client`, and authenticate.ts promises "An unknown client still pays for a secret
 * comparison, so timing does not reveal which client ids exist". The bodies must be
 * byte-identical and the headers the same (dates aside); only the operator event tells
 * `client_unknown` from `client_secret_mismatch` and `client_disabled`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import { hashClientSecret } from '../../src/clients/secrets.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import {
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  basicAuthorization,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { formBody } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';

const WRONG = 'wrong-secret-of-plausible-length';

/** The headers that may differ between two answers of the same content. */
function comparable(headers: IncomingHttpHeaders): Record<string, unknown> {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
  return rest;
}

describe.each(ADAPTERS)('ATTACK client-id enumeration through the answer, through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    const clients: ClientMetadata[] = [
      { client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read' },
      { client_id: 'secret-basic', token_endpoint_auth_method: 'client_secret_basic', client_secret: CLIENT_SECRET, scope: 'read' },
      { client_id: 'hashed', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: await hashClientSecret(CLIENT_SECRET), scope: 'read' },
      { client_id: 'rolling', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: [await hashClientSecret('old-secret-0123456789'), await hashClientSecret(CLIENT_SECRET)], scope: 'read' },
      { client_id: 'disabled', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read', disabled: true },
    ];
    server = await mount(adapter, context, context.createEndpoint({ clients }));
  });
  afterAll(() => server.server.close());

  const post = (clientId: string, secret = WRONG) => server.post({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
  const basic = (clientId: string, secret = WRONG) => server.post({ grant_type: 'client_credentials' }, { authorization: basicAuthorization(clientId, secret) });

  it.each([
    ['a plaintext secret', 'secret-post'],
    ['a sha256 secret hash', 'hashed'],
    ['two secret hashes (rolling)', 'rolling'],
    ['a disabled client, with its right secret', 'disabled'],
  ])('client_secret_post: an unknown client and a known client with %s get byte-identical bodies and the same headers', async (_name, clientId) => {
    const unknown = await post('no-such-client');
    expect(server.lastEvent().reason).toBe('client_unknown');
    const known = await post(clientId, clientId === 'disabled' ? CLIENT_SECRET : WRONG);
    expect(server.lastEvent().reason).toBe(clientId === 'disabled' ? 'client_disabled' : 'client_secret_mismatch');
    expect(known.status).toBe(401);
    expect(unknown.status).toBe(known.status);
    expect(unknown.text).toBe(known.text);
    expect(comparable(unknown.headers)).toEqual(comparable(known.headers));
  });

  it('client_secret_basic: an unknown client and a known client with a wrong secret get byte-identical bodies and the same Basic challenge', async () => {
    const unknown = await basic('no-such-client');
    expect(server.lastEvent().reason).toBe('client_unknown');
    const known = await basic('secret-basic');
    expect(server.lastEvent().reason).toBe('client_secret_mismatch');
    expect(unknown.status).toBe(401);
    expect(unknown.text).toBe(known.text);
    expect(comparable(unknown.headers)).toEqual(comparable(known.headers));
    expect(known.headers['www-authenticate']).toBe('Basic realm="token", charset="UTF-8"');
  });

  it('an unknown client id of any shape (long, Unicode, look-alike) gets that same body', async () => {
    const reference = (await post('secret-post')).text;
    for (const clientId of ['x'.repeat(2000), 'sécret-pöst', 'secret-post ', 'SECRET-POST', 'secret_post']) {
      expect((await post(clientId)).text).toBe(reference);
      expect(server.lastEvent().reason).toBe('client_unknown');
    }
  });
});

describe('ATTACK client-id enumeration through timing (in process)', () => {
  /** Median wall time in ms of `runs` calls, interleaved with the other series by the caller. */
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const request = (clientId: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: formBody({ grant_type: 'client_credentials', client_id: clientId, client_secret: WRONG }),
  });
  async function timings(endpoint: TokenEndpoint, known: string, runs: number): Promise<{ known: number; unknown: number }> {
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let run = 0; run < runs; run++) {
      for (const [clientId, times] of [[known, knownTimes], ['no-such-client', unknownTimes]] as const) {
        const started = performance.now();
        await endpoint.token(request(clientId));
        times.push(performance.now() - started);
      }
    }
    return { known: median(knownTimes), unknown: median(unknownTimes) };
  }

  it('a plaintext or sha256 secret: the unknown client costs the same order of time as a wrong secret (medians within 10×)', async () => {
    const context = await createConformanceContext();
    const endpoint = context.createEndpoint({
      clients: [
        { client_id: 'plain', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET },
        { client_id: 'hashed', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: await hashClientSecret(CLIENT_SECRET) },
      ],
    });
    for (const known of ['plain', 'hashed']) {
      const { known: knownMs, unknown: unknownMs } = await timings(endpoint, known, 200);
      expect(knownMs / unknownMs, `${known}: ${knownMs} ms vs ${unknownMs} ms`).toBeLessThan(10);
      expect(unknownMs / knownMs, `${known}: ${knownMs} ms vs ${unknownMs} ms`).toBeLessThan(10);
    }
  });

  // A scrypt-hashed client's wrong secret costs the scrypt (~150 ms); were the unknown-client
  // decoy a plaintext comparison (microseconds), the ratio would reveal which client ids exist.
  it('a scrypt-hashed client\'s wrong secret and an unknown client take the same order of time (the decoy matches the costliest registered verifier)', async () => {
    const context = await createConformanceContext();
    const endpoint = context.createEndpoint({
      clients: [{ client_id: 'scrypt', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: await hashClientSecret(CLIENT_SECRET, { algorithm: 'scrypt' }) }],
    });
    const { known, unknown } = await timings(endpoint, 'scrypt', 3);
    expect(known / unknown, `${known} ms vs ${unknown} ms`).toBeLessThan(10);
  });
});
