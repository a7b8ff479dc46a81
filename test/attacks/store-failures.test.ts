/**
 * ATTACK: making a store fail to get a "fail open". An attacker who can slow or break the replay
 * or revocation store (flooding Redis, racing a failover) hopes the endpoint then skips the check:
 * a replayed assertion accepted, a revoked token reported active. SPEC.md: "A store failure fails
 * closed (503 temporarily_unavailable …), never open"; revocation-store.ts: "callers fail closed
 * (503), never 'not revoked'". Custom stores throw whatever their driver throws, so the answer
 * must be the documented 503 with Retry-After whatever the error type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayStore } from '../../src/replay/replay-store.js';
import type { RevocationStore } from '../../src/revocation/revocation-store.js';
import {
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import type { HttpResult } from '../helpers/http.js';
import { CORE_ADAPTERS, expectIssued, expectRefusal } from './support.js';

const DRIVER_SECRET = 'redis://:driver-password-42@10.0.0.5:6379';

/** What a store does next: answer normally, or fail in one of the ways drivers fail. */
type Mode = 'ok' | 'throw-error' | 'throw-string' | 'reject-typeerror' | 'not-boolean';

describe.each(CORE_ADAPTERS)('ATTACK store failures must fail closed, through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let mode: Mode = 'ok';
  const revoked = new Set<string>();

  const fail = (): void => {
    if (mode === 'throw-error') throw new Error(`READONLY You can't write against a read only replica. ${DRIVER_SECRET}`);
    if (mode === 'throw-string') throw 'connection lost';
    if (mode === 'reject-typeerror') throw new TypeError(`Cannot read properties of undefined (reading 'sendCommand') ${DRIVER_SECRET}`);
  };
  const replayStore: ReplayStore = {
    consume: async () => {
      fail();
      return (mode === 'not-boolean' ? 'OK' : true) as boolean;
    },
  };
  const revocationStore: RevocationStore = {
    revoke: async (jti) => {
      fail();
      revoked.add(jti);
    },
    isRevoked: async (jti) => {
      fail();
      return revoked.has(jti);
    },
  };

  beforeAll(async () => {
    context = await createConformanceContext({ replayStore, revocationStore });
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  const at = (path: string, parameters: Record<string, string>): Promise<HttpResult> =>
    server.request({ path, body: new URLSearchParams(parameters).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const secretAuth = { client_id: 'secret-post', client_secret: CLIENT_SECRET };

  function unavailable(response: HttpResult, reason: 'replay_store_unavailable' | 'revocation_store_unavailable'): void {
    expectRefusal(response, server, { status: 503, error: 'temporarily_unavailable', reason });
    // The driver's message is operator detail (the event); the caller sees none of it.
    expect(`${response.text}${JSON.stringify(response.headers)}`).not.toContain('driver-password-42');
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.json).not.toHaveProperty('access_token');
  }

  it.each(['throw-error', 'throw-string', 'reject-typeerror'] as const)('replay store %s: no token for the assertion, 503 (replay_store_unavailable)', async (failure) => {
    mode = failure;
    try {
      unavailable(await server.post(assertionParameters(await assertionFor(context, 'pkjwt'))), 'replay_store_unavailable');
    } finally {
      mode = 'ok';
    }
  });
  it('replay store answering something that is not true: treated as a replay, never as a first use (jti_replayed)', async () => {
    mode = 'not-boolean';
    try {
      expectRefusal(await server.post(assertionParameters(await assertionFor(context, 'pkjwt'))), server, { status: 401, error: 'invalid_client', reason: 'jti_replayed' });
    } finally {
      mode = 'ok';
    }
  });

  describe('revocation store', () => {
    let token: string;
    beforeAll(async () => {
      const issued = await server.post({ grant_type: 'client_credentials', ...secretAuth });
      expectIssued(issued);
      token = String(issued.json.access_token);
    });

    it.each(['throw-error', 'throw-string', 'reject-typeerror'] as const)('%s at introspection: never "active", 503 (revocation_store_unavailable)', async (failure) => {
      mode = failure;
      try {
        unavailable(await at('/introspect', { token, ...secretAuth }), 'revocation_store_unavailable');
      } finally {
        mode = 'ok';
      }
    });
    it.each(['throw-error', 'throw-string', 'reject-typeerror'] as const)('%s at revocation: 503, so the client knows to retry (revocation_store_unavailable)', async (failure) => {
      mode = failure;
      try {
        unavailable(await at('/revoke', { token, ...secretAuth }), 'revocation_store_unavailable');
      } finally {
        mode = 'ok';
      }
    });
    it('once the store answers again: revocation succeeds and the token is inactive (control)', async () => {
      expect((await at('/revoke', { token, ...secretAuth })).status).toBe(200);
      expect((await at('/introspect', { token, ...secretAuth })).json).toEqual({ active: false });
    });
  });
});
