/**
 * ATTACK: malformed and ambiguous HTTP Basic client credentials. RFC 6749 §2.3.1: "The client
 * identifier is encoded using the application/x-www-form-urlencoded encoding algorithm per
 * Appendix B, and the encoded value is used as the username; the client password is encoded
 * using the same algorithm and used as the password" — then RFC 7617 base64. Parsers that split
 * on the wrong colon, decode `+` or `%` inconsistently, accept invalid escapes or overlong UTF-8
 * let one client id be read as another. Each case: the exact client, or `invalid_client` 401
 * with the Basic challenge (RFC 6749 §5.2) and its precise reason; never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import { type AdapterUnderTest, CLIENT_SECRET, type ConformanceContext, createConformanceContext, mount } from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal } from './support.js';

const SECRET = CLIENT_SECRET; // 'correct horse:battery%staple+plus' — a ":", a "%" and a "+" of its own
const enc = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');

const clients: ClientMetadata[] = [
  { client_id: 'secret-basic', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, scope: 'read' },
  { client_id: 'colon:client', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, scope: 'read' },
  { client_id: 'pct%client', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, scope: 'read' },
  { client_id: 'plus+client', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, scope: 'read' },
  { client_id: 'space client', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, scope: 'read' },
  { client_id: 'ünïcödé-client', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET, scope: 'read' },
  { client_id: 'colon', token_endpoint_auth_method: 'client_secret_basic', client_secret: 'client-colon-own-secret-0123', scope: 'read' },
];

/** `Basic base64(raw)`, raw given as text (UTF-8) or exact bytes. */
const basic = (raw: string | Buffer): string => `Basic ${Buffer.from(raw).toString('base64')}`;

describe.each(ADAPTERS)('ATTACK malformed Basic client credentials through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    server = await mount(adapter, context, context.createEndpoint({ clients }));
  });
  afterAll(() => server.server.close());

  const send = (authorization: string, body: Record<string, string> = {}) => server.post({ grant_type: 'client_credentials', ...body }, { authorization });

  async function refused(authorization: string, reason: ReasonCode, status = 401): Promise<void> {
    const response = await send(authorization);
    expectRefusal(response, server, {
      status,
      error: status === 401 ? 'invalid_client' : 'invalid_request',
      reason,
      wwwAuthenticate: status === 401,
      secrets: [SECRET, authorization.slice(6)],
    });
  }
  async function issuedTo(authorization: string, clientId: string): Promise<void> {
    expectIssued(await send(authorization));
    expect(server.lastEvent().clientId).toBe(clientId);
  }

  describe('RFC 7617 §2 base64 token68: strictly decoded (basic_credentials_malformed)', () => {
    it.each([
      ['characters outside base64', 'Basic !!!!'],
      ['unpadded base64 (length not a multiple of 4)', `Basic ${Buffer.from(`secret-basic:${enc(SECRET)}`).toString('base64').replace(/=+$/, '')}x`],
      ['"=" in the middle', 'Basic c2Vj=mV0'],
      ['only padding', 'Basic ===='],
      ['base64url alphabet ("-" and "_")', 'Basic -_-_'],
      ['Latin-1 bytes (é) in the token', 'Basic c2Vj\u00e9mV0'],
      ['over 4,096 characters', `Basic ${'QUFB'.repeat(1025)}`],
      ['a second token after the credentials', `${basic(`secret-basic:${enc(SECRET)}`)} extra`],
      ['the scheme alone', 'Basic'],
      ['the scheme and spaces', 'Basic    '],
    ])('refuses %s', async (_name, authorization) => {
      await refused(authorization, 'basic_credentials_malformed');
    });
    it.each([
      ['the Bearer scheme', `Bearer ${Buffer.from(`secret-basic:${enc(SECRET)}`).toString('base64')}`],
      ['the Digest scheme', 'Digest username="secret-basic"'],
      ['a scheme that only starts with Basic', `Basicx ${Buffer.from(`secret-basic:${enc(SECRET)}`).toString('base64')}`],
      ['an empty header value', ''],
    ])('refuses %s (authorization_scheme_unsupported)', async (_name, authorization) => {
      await refused(authorization, 'authorization_scheme_unsupported');
    });
    it('accepts the scheme in any case and extra spaces before the token (RFC 9110 §11.1) (control)', async () => {
      await issuedTo(`bAsIc   ${Buffer.from(`secret-basic:${enc(SECRET)}`).toString('base64')}`, 'secret-basic');
    });
  });

  describe('RFC 7617 §2 "user-id : password": the first colon splits, and both parts are required', () => {
    it('refuses credentials without a colon (basic_credentials_malformed)', async () => {
      await refused(basic('secret-basic'), 'basic_credentials_malformed');
    });
    it('refuses an empty client id (basic_credentials_malformed)', async () => {
      await refused(basic(`:${enc(SECRET)}`), 'basic_credentials_malformed');
    });
    it('refuses an empty secret as a wrong secret (client_secret_mismatch)', async () => {
      await refused(basic('secret-basic:'), 'client_secret_mismatch');
    });
    it('a raw ":" in the id splits there: "colon:client:<secret>" is client "colon" with a wrong secret (client_secret_mismatch), never client "colon:client"', async () => {
      await refused(basic(`colon:client:${enc(SECRET)}`), 'client_secret_mismatch');
      expect(server.lastEvent().clientId).toBe('colon');
    });
    it('the secret\'s own raw ":" needs no escaping: everything after the first colon is the password (RFC 7617) (control)', async () => {
      await issuedTo(basic(`secret-basic:${SECRET.replace(/%/g, '%25').replace(/\+/g, '%2B')}`), 'secret-basic');
    });
  });

  describe('RFC 6749 Appendix B form-urlencoding inside Basic', () => {
    it('"%3A" in the id is a colon of the id: "colon%3Aclient" authenticates client "colon:client"', async () => {
      await issuedTo(basic(`colon%3Aclient:${enc(SECRET)}`), 'colon:client');
    });
    it('"%25" is a literal percent: "pct%25client" authenticates client "pct%client"', async () => {
      await issuedTo(basic(`pct%25client:${enc(SECRET)}`), 'pct%client');
    });
    it('a raw "%" not followed by two hex digits is malformed, not taken literally: "pct%client" (basic_credentials_malformed)', async () => {
      await refused(basic(`pct%client:${enc(SECRET)}`), 'basic_credentials_malformed');
    });
    it('"+" is a space: "plus+client" names client "plus client", which does not exist (client_unknown)', async () => {
      await refused(basic(`plus+client:${enc(SECRET)}`), 'client_unknown');
      expect(server.lastEvent().clientId).toBe('plus client');
    });
    it('"%2B" is a plus: "plus%2Bclient" authenticates client "plus+client"', async () => {
      await issuedTo(basic(`plus%2Bclient:${enc(SECRET)}`), 'plus+client');
    });
    it('"+" in the id authenticates client "space client"', async () => {
      await issuedTo(basic(`space+client:${enc(SECRET)}`), 'space client');
    });
    it('a secret sent without form-encoding ("%st" is no escape) is malformed, never taken literally (basic_credentials_malformed)', async () => {
      await refused(basic(`secret-basic:${SECRET}`), 'basic_credentials_malformed');
    });
    it.each([
      ['"%ZZ"', 'bad%ZZid'],
      ['a trailing "%"', 'bad%'],
      ['a truncated "%4"', 'bad%4'],
      ['"%G0"', 'bad%G0'],
    ])('an invalid escape %s (basic_credentials_malformed)', async (_name, id) => {
      await refused(basic(`${id}:${enc(SECRET)}`), 'basic_credentials_malformed');
    });
    it('percent-encoded UTF-8 in the id authenticates "ünïcödé-client"', async () => {
      await issuedTo(basic(`${enc('ünïcödé-client')}:${enc(SECRET)}`), 'ünïcödé-client');
    });
    it.each([
      ['an overlong "/" (%C0%AF)', 'a%C0%AFb'],
      ['an overlong NUL (%C0%80)', 'a%C0%80b'],
      ['a three-byte overlong (%E0%80%AF)', 'a%E0%80%AFb'],
      ['an encoded UTF-16 surrogate (%ED%A0%80)', 'a%ED%A0%80b'],
      ['a code point above U+10FFFF (%F4%90%80%80)', 'a%F4%90%80%80b'],
      ['a lone continuation byte (%80)', 'a%80b'],
      ['Latin-1 "é" (%E9)', 'caf%E9'],
    ])('refuses %s in the id: not UTF-8 (basic_credentials_malformed)', async (_name, id) => {
      await refused(basic(`${id}:${enc(SECRET)}`), 'basic_credentials_malformed');
    });
    it.each([
      ['an overlong "/" as raw bytes', Buffer.from([0x61, 0xc0, 0xaf, 0x3a, 0x78])],
      ['a raw Latin-1 "é"', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x3a, 0x78])],
      ['a raw surrogate', Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x3a, 0x78])],
    ])('refuses %s after base64 decoding: not UTF-8 (basic_credentials_malformed)', async (_name, bytes) => {
      await refused(basic(bytes), 'basic_credentials_malformed');
    });
  });

  it('refuses Basic plus client_secret in the body: two mechanisms (RFC 6749 §2.3 "MUST NOT use more than one") (client_auth_multiple, 400)', async () => {
    const response = await send(basic(`secret-basic:${enc(SECRET)}`), { client_id: 'secret-basic', client_secret: SECRET });
    expectRefusal(response, server, { status: 400, error: 'invalid_request', reason: 'client_auth_multiple', secrets: [SECRET] });
  });
  it('refuses Basic for one client with client_id naming another in the body (client_id_mismatch)', async () => {
    const response = await send(basic(`secret-basic:${enc(SECRET)}`), { client_id: 'colon:client' });
    expectRefusal(response, server, { status: 401, error: 'invalid_client', reason: 'client_id_mismatch', wwwAuthenticate: true, secrets: [SECRET] });
  });
});
