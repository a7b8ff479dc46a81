/**
 * ATTACK: key injection through the JWS header (RFC 8725 §3.10; CVE-2018-0114 and kin). The
 * attacker signs with its own key and tells the verifier where to find it: `jku` / `x5u` (a URL
 * it controls), `jwk` / `x5c` (the key or certificate inline). SPEC.md: "never dereference
 * `jku`, `x5u`, or header `jwk`/`x5c`". A real HTTPS trap server on loopback, trusted by the
 * test PKI and serving the attacker's keys, proves nothing ever contacts it.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteKeySource } from '../../src/assertions/remote-key-source.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import type { SignClientAssertionOptions } from '../../src/testing/assertions.js';
import { type TestIdentity, toJwk } from '../../src/testing/pki.js';
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

describe.each(ADAPTERS)('ATTACK key injection through jku / x5u / jwk / x5c headers through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let remote: AdapterUnderTest;
  let trap: TrapServer;
  let keyServer: TrapServer;
  let attacker: TestIdentity;

  beforeAll(async () => {
    context = await createConformanceContext();
    // The attacker's certificate even chains to the trust anchors the server uses for mTLS.
    attacker = await context.pki.issueClientCertificate({ subject: 'CN=pkjwt,O=Attacker' });
    const attackerJwks = JSON.stringify({ keys: [{ ...toJwk(attacker.publicKey), kid: 'es256-key' }, { ...toJwk(attacker.publicKey), kid: 'attacker-key' }] });
    trap = await startTrap(context.pki, attackerJwks);
    keyServer = await startTrap(context.pki, JSON.stringify({ keys: [context.keys.es256.publicJwk] }));
    server = await mount(adapter, context, context.createEndpoint({ mtls: { trustAnchors: context.pki.trustAnchorsPem } }));
    remote = await mount(
      adapter,
      context,
      context.createEndpoint({
        clients: [{ client_id: 'remote', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${keyServer.origin}/jwks.json`, scope: 'read' }],
        clientKeys: createRemoteKeySource({ ca: context.pki.trustAnchorsPem }),
      }),
    );
  });
  afterAll(async () => {
    await server.server.close();
    await remote.server.close();
    // The whole point: not one connection, not one request.
    expect(trap.hits).toEqual([]);
    await trap.close();
    await keyServer.close();
  });

  const attackerSigned = (clientId: string, overrides: Partial<SignClientAssertionOptions>): Promise<string> =>
    assertionFor(context, clientId, { kid: 'attacker-key', privateKey: attacker.privateKey, publicJwk: toJwk(attacker.publicKey) }, overrides);
  const x5c = (): string[] => [Buffer.from(new X509Certificate(attacker.certificatePem).raw).toString('base64')];

  const cases = (): [string, Partial<SignClientAssertionOptions>, ReasonCode][] => [
    ['jku → the trap, kid of the attacker', { header: { jku: `${trap.origin}/jwks.json` } }, 'assertion_key_not_found'],
    ['jku → the trap, kid of the registered key', { kid: 'es256-key', header: { jku: `${trap.origin}/jwks.json` } }, 'assertion_signature_invalid'],
    ['x5u → the trap', { header: { x5u: `${trap.origin}/cert.pem` } }, 'assertion_key_not_found'],
    ['jwk = the attacker key, kid of the attacker', { header: { jwk: toJwk(attacker.publicKey) } }, 'assertion_key_not_found'],
    ['jwk = the attacker key, no kid (all registered keys tried)', { kid: undefined, header: { jwk: toJwk(attacker.publicKey) } }, 'assertion_signature_invalid'],
    ['jwk = the attacker key, kid of the registered key', { kid: 'es256-key', header: { jwk: toJwk(attacker.publicKey) } }, 'assertion_signature_invalid'],
    ['x5c = a CA-issued certificate of the attacker key', { kid: undefined, header: { x5c: x5c() } }, 'assertion_signature_invalid'],
    ['x5c plus x5t#S256 of the attacker certificate, kid of the registered key', { kid: 'es256-key', header: { x5c: x5c(), 'x5t#S256': 'AAAA' } }, 'assertion_signature_invalid'],
    ['jku, x5u, jwk and x5c all at once', { header: { jku: `${trap.origin}/a`, x5u: `${trap.origin}/b`, jwk: toJwk(attacker.publicKey), x5c: x5c() } }, 'assertion_key_not_found'],
  ];

  it('refuses every attacker-signed assertion that points at or embeds its own key, and the trap is never contacted', async () => {
    for (const [name, overrides, reason] of cases()) {
      const assertion = await attackerSigned('pkjwt', overrides);
      const response = await server.post(assertionParameters(assertion));
      expect(server.lastEvent().reason, name).toBe(reason);
      expectRefusal(response, server, { status: 401, error: 'invalid_client', reason, wwwAuthenticate: false, secrets: [assertion] });
    }
    expect(trap.hits).toEqual([]);
  });

  it('a jwks_uri client: the registered URL is the only one fetched, never the jku of the assertion', async () => {
    for (const [name, overrides, reason] of cases()) {
      const assertion = await attackerSigned('remote', overrides);
      const response = await remote.post(assertionParameters(assertion));
      expect(remote.lastEvent().reason, name).toBe(reason);
      expectRefusal(response, remote, { status: 401, error: 'invalid_client', reason, secrets: [assertion] });
    }
    expect(trap.hits).toEqual([]);
    for (const hit of keyServer.hits.filter((entry) => entry.startsWith('GET'))) expect(hit).toBe('GET /jwks.json');
  });

  it('a genuine assertion that merely carries jku / x5u / jwk / x5c pointing at the trap is judged by the registered key alone', async () => {
    const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, {
      header: { jku: `${trap.origin}/jwks.json`, x5u: `${trap.origin}/cert.pem`, jwk: toJwk(attacker.publicKey), x5c: x5c() },
    });
    expectIssued(await server.post(assertionParameters(assertion)));
    expect(server.lastEvent().credentialId).toBe('es256-key');
    expect(trap.hits).toEqual([]);
  });
});
