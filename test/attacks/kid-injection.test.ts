/**
 * ATTACK: `kid` injection. The `kid` header is attacker-chosen; implementations that treat it as
 * a file path, a SQL fragment, a template or a URL have been broken through it (RFC 8725 §3.10:
 * "kid ... MUST be validated and sanitised"). SPEC.md: "kid is an opaque key into the client's
 * own JWK Set" — compared as a string, never interpreted, bounded in length, never echoed, and
 * for a `jwks_uri` client an unknown `kid` costs at most one refetch of the registered URL per
 * cooldown, whatever the `kid` says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteKeySource } from '../../src/assertions/remote-key-source.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import {
  type AdapterUnderTest,
  type ConformanceContext,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';
import { type TrapServer, expectIssued, expectRefusal, startTrap } from './support.js';

const HOSTILE_KIDS: readonly [string, string][] = [
  ['path traversal', '../../etc/passwd'],
  ['Windows path traversal', '..\\..\\windows\\win.ini'],
  ['an absolute device path', '/dev/random'],
  ['a file URL', 'file:///etc/passwd'],
  ['an https URL', 'https://127.0.0.1:1/jwks.json'],
  ['SQL injection', "' OR 1=1 --"],
  ['stacked SQL', '"; DROP TABLE clients; --'],
  ['JNDI lookup', '${jndi:ldap://127.0.0.1/a}'],
  ['template injection', '{{7*7}}${7*7}'],
  ['markup', '<script>alert(1)</script>'],
  ['a percent-encoded NUL', '%00'],
  ['the registered kid plus a NUL', 'es256-key\u0000'],
  ['the registered kid in upper case', 'ES256-KEY'],
  ['the registered kid with a leading space', ' es256-key'],
  ['the registered kid with a trailing space', 'es256-key '],
  ['a prototype member name', '__proto__'],
  ['another prototype member name', 'constructor'],
  ['a wildcard', '*'],
  ['CR/LF and a header', 'es256-key\r\nX-Injected: 1'],
  ['1,024 characters (the longest accepted)', 'k'.repeat(1024)],
];

describe.each(ADAPTERS)('ATTACK kid injection through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  /** Assertions up to 64 KiB, so a 10 KB kid reaches the kid check itself. */
  let roomy: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    server = await mount(adapter, context);
    roomy = await mount(adapter, context, context.createEndpoint({ clientAssertion: { maxLength: 65_536 } }));
  });
  afterAll(async () => {
    await server.server.close();
    await roomy.server.close();
  });

  async function refused(target: AdapterUnderTest, kid: unknown, reason: ReasonCode): Promise<void> {
    const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { header: { kid } });
    const response = await target.post(assertionParameters(assertion));
    expectRefusal(response, target, { status: 401, error: 'invalid_client', reason, wwwAuthenticate: false, secrets: [assertion] });
    if (typeof kid === 'string' && kid.length > 3) {
      // Never reflected: not in the body, not in a header.
      expect(response.text).not.toContain(kid);
      expect(JSON.stringify(response.headers)).not.toContain(kid.slice(0, 40));
    }
    expect(response.headers['x-injected']).toBeUndefined();
  }

  it.each(HOSTILE_KIDS)('treats a kid carrying %s as an opaque unknown key (assertion_key_not_found)', async (_name, kid) => {
    await refused(server, kid, 'assertion_key_not_found');
  });
  it.each([
    ['an empty kid', ''],
    ['1,025 characters', 'k'.repeat(1025)],
    ['a number', 7],
    ['null', null],
    ['an array holding the registered kid', ['es256-key']],
    ['an object', { $ne: null }],
    ['true', true],
  ] as const)('refuses a kid that is %s (assertion_malformed)', async (_name, kid) => {
    await refused(roomy, kid, 'assertion_malformed');
  });
  it('refuses a 10 KB kid under the default 8 KiB assertion cap before parsing it (assertion_too_long)', async () => {
    await refused(server, `x${'A'.repeat(10 * 1024)}`, 'assertion_too_long');
  });
  it('refuses a 10 KB kid under a 64 KiB assertion cap by its length (assertion_malformed)', async () => {
    await refused(roomy, `x${'A'.repeat(10 * 1024)}`, 'assertion_malformed');
  });
  it('refuses a 10 KB path-traversal kid (../ repeated) under a 64 KiB cap (assertion_malformed)', async () => {
    await refused(roomy, '../'.repeat(3414), 'assertion_malformed');
  });
  it('still accepts the registered kid (control)', async () => {
    expectIssued(await server.post(assertionParameters(await assertionFor(context, 'pkjwt'))));
  });
});

describe.each(ADAPTERS)('ATTACK kid injection against a jwks_uri client through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let keyServer: TrapServer;
  let endpoint: TokenEndpoint;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    keyServer = await startTrap(context.pki, JSON.stringify({ keys: [context.keys.es256.publicJwk] }));
    endpoint = context.createEndpoint({
      clients: [{ client_id: 'remote', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${keyServer.origin}/client/jwks.json`, scope: 'read' }],
      clientKeys: createRemoteKeySource({ ca: context.pki.trustAnchorsPem }),
    });
    server = await mount(adapter, context, endpoint);
  });
  afterAll(async () => {
    await server.server.close();
    await keyServer.close();
  });

  it('fetches only the registered jwks_uri, at most once more per cooldown, however many hostile kids arrive (assertion_key_not_found)', async () => {
    expectIssued(await server.post(assertionParameters(await assertionFor(context, 'remote'))));
    const afterFirstFetch = keyServer.hits.filter((hit) => hit.startsWith('GET')).length;
    expect(afterFirstFetch).toBe(1);
    for (const [, kid] of HOSTILE_KIDS) {
      const assertion = await assertionFor(context, 'remote', context.keys.es256, { header: { kid } });
      expectRefusal(await server.post(assertionParameters(assertion)), server, { status: 401, error: 'invalid_client', reason: 'assertion_key_not_found', secrets: [assertion] });
    }
    const requests = keyServer.hits.filter((hit) => hit.startsWith('GET'));
    // One initial fetch, then one refetch for the first unknown kid; the cooldown absorbs the rest.
    expect(requests.length).toBeLessThanOrEqual(2);
    for (const request of requests) expect(request).toBe('GET /client/jwks.json');
  });
});
