/**
 * ATTACK: audience injection (Hackmann et al., 2024; draft-ietf-oauth-rfc7523bis §4). A client
 * that also talks to a malicious authorization server is tricked into minting an assertion whose
 * `aud` that server can replay here: our token endpoint URL, another server's URL, or an array
 * that holds our issuer next to something else. Each `aud` preset must refuse what it does not
 * allow, with the precise reason in the operator event and `invalid_client` on the wire (RFC
 * 7523 §3.2).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type AdapterUnderTest,
  type ConformanceContext,
  ISSUER,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal } from './support.js';
import type { ReasonCode } from '../../src/errors/reasons.js';

const TOKEN_ENDPOINT = `${ISSUER}/token`;
const MTLS_ALIAS = 'https://mtls.as.example.test/token';
const OTHER_ISSUER = 'https://evil-as.example.net';
const OTHER_TOKEN_ENDPOINT = 'https://evil-as.example.net/token';

type Case = readonly [name: string, aud: unknown, reason: ReasonCode];

/** draft-ietf-oauth-rfc7523bis §4: "the issuer identifier as the sole value, a string or a one-element array". */
const RFC7523BIS_REFUSED: readonly Case[] = [
  ['our token endpoint URL', TOKEN_ENDPOINT, 'aud_not_issuer'],
  ['our mTLS token endpoint alias', MTLS_ALIAS, 'aud_not_issuer'],
  ["another server's issuer", OTHER_ISSUER, 'aud_not_issuer'],
  ["another server's token endpoint", OTHER_TOKEN_ENDPOINT, 'aud_not_issuer'],
  ['[issuer, another server]', [ISSUER, OTHER_ISSUER], 'aud_multiple_values'],
  ['[another server, issuer]', [OTHER_ISSUER, ISSUER], 'aud_multiple_values'],
  ['[issuer, our token endpoint]', [ISSUER, TOKEN_ENDPOINT], 'aud_multiple_values'],
  ['[issuer, issuer] (a duplicate)', [ISSUER, ISSUER], 'aud_multiple_values'],
  ['[our token endpoint]', [TOKEN_ENDPOINT], 'aud_not_issuer'],
  ['the issuer with a trailing slash', `${ISSUER}/`, 'aud_not_issuer'],
  ['the issuer in upper case (simple string comparison)', ISSUER.toUpperCase(), 'aud_not_issuer'],
  ['the issuer with a trailing NUL', `${ISSUER}\u0000`, 'aud_not_issuer'],
  ['the issuer with a query', `${ISSUER}?x=1`, 'aud_not_issuer'],
  ['a nested array [[issuer]]', [[ISSUER]], 'assertion_malformed'],
  ['an object {"0": issuer}', { 0: ISSUER }, 'assertion_malformed'],
  ['a number', 42, 'assertion_malformed'],
  ['an empty string', '', 'aud_missing'],
  ['an empty array', [], 'aud_missing'],
  ['null', null, 'aud_missing'],
];

/** FAPI 2.0 Security Profile §5.3.2.1: "the issuer identifier ... as a string". */
const FAPI2_REFUSED: readonly Case[] = [
  ['a one-element array [issuer]', [ISSUER], 'aud_array_not_allowed'],
  ['[issuer, another server]', [ISSUER, OTHER_ISSUER], 'aud_array_not_allowed'],
  ['our token endpoint URL', TOKEN_ENDPOINT, 'aud_not_issuer'],
  ["another server's issuer", OTHER_ISSUER, 'aud_not_issuer'],
  ["another server's token endpoint", OTHER_TOKEN_ENDPOINT, 'aud_not_issuer'],
];

/** RFC 7523 §3 item 3 as first written (opt-in legacy): every value must be the issuer or one of OUR token endpoint URLs. */
const LEGACY_REFUSED: readonly Case[] = [
  ["another server's issuer", OTHER_ISSUER, 'aud_not_issuer'],
  ["another server's token endpoint", OTHER_TOKEN_ENDPOINT, 'aud_not_issuer'],
  ['[issuer, another server]', [ISSUER, OTHER_ISSUER], 'aud_not_issuer'],
  ["[our token endpoint, another server's token endpoint]", [TOKEN_ENDPOINT, OTHER_TOKEN_ENDPOINT], 'aud_not_issuer'],
  ['our host with another path', `${ISSUER}/other/token`, 'aud_not_issuer'],
  ['our token endpoint with a query', `${TOKEN_ENDPOINT}?aud=1`, 'aud_not_issuer'],
  ['our token endpoint with a fragment', `${TOKEN_ENDPOINT}#x`, 'aud_not_issuer'],
  ['our token endpoint over http', TOKEN_ENDPOINT.replace('https:', 'http:'), 'aud_not_issuer'],
];

describe.each(ADAPTERS)('ATTACK audience injection through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext({ mtls: { endpointAliases: { token_endpoint: MTLS_ALIAS } } });
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  async function attempt(clientId: string, aud: unknown, reason: ReasonCode): Promise<void> {
    const assertion = await assertionFor(context, clientId, context.keys.es256, { claims: { aud } });
    const response = await server.post(assertionParameters(assertion));
    expectRefusal(response, server, { status: 401, error: 'invalid_client', reason, wwwAuthenticate: false, secrets: [assertion] });
  }

  describe('aud preset rfc7523bis (the default): "the issuer identifier as the sole value"', () => {
    it.each(RFC7523BIS_REFUSED)('refuses aud = %s (%s → %s)', async (_name, aud, reason) => {
      await attempt('pkjwt', aud, reason);
    });
    it('still accepts the issuer as a string and as a one-element array (control)', async () => {
      expectIssued(await server.post(assertionParameters(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: ISSUER } }))));
      expectIssued(await server.post(assertionParameters(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: [ISSUER] } }))));
    });
  });

  describe('aud preset fapi2 (per-client override): "the issuer identifier as a string" only', () => {
    it.each(FAPI2_REFUSED)('refuses aud = %s (%s → %s)', async (_name, aud, reason) => {
      await attempt('pkjwt-fapi2-aud', aud, reason);
    });
    it('still accepts the issuer as a string (control)', async () => {
      expectIssued(await server.post(assertionParameters(await assertionFor(context, 'pkjwt-fapi2-aud'))));
    });
  });

  describe('aud preset legacy (opt-in): the issuer or one of our own token endpoint URLs, nothing else', () => {
    it.each(LEGACY_REFUSED)('refuses aud = %s (%s → %s)', async (_name, aud, reason) => {
      await attempt('pkjwt-legacy-aud', aud, reason);
    });
    it.each([
      ['our token endpoint URL', TOKEN_ENDPOINT, 'token_endpoint_string'],
      ['our mTLS token endpoint alias (RFC 8705 §5)', MTLS_ALIAS, 'token_endpoint_string'],
      ['[issuer, our token endpoint]', [ISSUER, TOKEN_ENDPOINT], 'mixed_array'],
    ] as const)('accepts aud = %s and reports the shape %s to the operator', async (_name, aud, shape) => {
      const assertion = await assertionFor(context, 'pkjwt-legacy-aud', context.keys.es256, { claims: { aud } });
      expectIssued(await server.post(assertionParameters(assertion)));
      const event = server.lastEvent();
      if (event.type !== 'token_issued') throw new Error(`unexpected event ${event.type}`);
      if (event.assertionAudienceShape !== shape) throw new Error(`shape ${String(event.assertionAudienceShape)}, expected ${shape}`);
    });
  });

  it('an assertion refused for its audience does not burn its jti: the attacker cannot spend it for the victim (SPEC.md "consume last")', async () => {
    const jti = `aud-injection-${adapter}`;
    const injected = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { aud: TOKEN_ENDPOINT, jti } });
    expectRefusal(await server.post(assertionParameters(injected)), server, { status: 401, error: 'invalid_client', reason: 'aud_not_issuer' });
    expectIssued(await server.post(assertionParameters(await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { jti } }))));
  });
});
