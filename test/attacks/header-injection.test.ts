/**
 * ATTACK: HTTP response splitting and header injection (CWE-113). Form parameters and Basic
 * credentials are decoded (`%0D%0A` becomes CR LF), so an attacker can put line breaks and whole
 * header lines into `client_id`, `scope`, `resource`, `grant_type` or the Basic user name. If any
 * of it were echoed into a response header — or into an error description — it would split the
 * response. Rule: nothing the caller sent is reflected in response headers or the body, and the
 * answer is a clean 4xx, never a 5xx (RFC 6749 §5.2; SPEC.md "never echoing internal text").
 */
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReasonCode } from '../../src/errors/reasons.js';
import {
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  assertionFor,
  assertionParameters,
  basicAuthorization,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import type { HttpResult } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectRefusal } from './support.js';

const MARKER = 'injected-7c1e';
const PAYLOADS = [`\r\nSet-Cookie: ${MARKER}=1`, `\r\n\r\n<html>${MARKER}</html>`, `\nX-${MARKER}: 1`, `\rLocation: https://${MARKER}.example`, `%0d%0aX-${MARKER}: 1`];

/** Nothing attacker-chosen in the headers or the body; no cookie, no redirect, no extra header. */
function expectNotReflected(response: HttpResult): void {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(JSON.stringify(response.headers).toLowerCase()).not.toContain(MARKER);
  expect(response.text).not.toContain(MARKER);
  expect(response.headers['set-cookie']).toBeUndefined();
  expect(response.headers.location).toBeUndefined();
  expect(Object.keys(response.headers).filter((name) => name.includes('injected'))).toEqual([]);
}

describe.each(ADAPTERS)('ATTACK header injection (CR/LF) through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  const base = { grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET };

  type Case = readonly [where: string, build: (payload: string) => Record<string, string>, status: number, error: string, reason: ReasonCode | ((payload: string) => ReasonCode)];
  const cases: readonly Case[] = [
    ['client_id', (payload) => ({ ...base, client_id: `secret-post${payload}` }), 401, 'invalid_client', 'client_unknown'],
    ['client_secret', (payload) => ({ ...base, client_secret: `${CLIENT_SECRET}${payload}` }), 401, 'invalid_client', 'client_secret_mismatch'],
    // "%0d%0aX-…:" is a legal scope-token (RFC 6749 §3.3 allows "%" and ":"): not registered, but well-formed.
    ['scope', (payload) => ({ ...base, scope: `read${payload}` }), 400, 'invalid_scope', (payload) => (payload.startsWith('%') ? 'scope_not_allowed' : 'scope_malformed')],
    ['resource', (payload) => ({ ...base, resource: `https://api.example.test/${payload}` }), 400, 'invalid_target', 'resource_invalid'],
    ['grant_type', (payload) => ({ ...base, grant_type: `client_credentials${payload}` }), 400, 'unsupported_grant_type', 'grant_type_unsupported'],
    ['client_assertion_type', (payload) => ({ grant_type: 'client_credentials', client_assertion_type: `urn:x${payload}`, client_assertion: 'a.b.c' }), 401, 'invalid_client', 'assertion_type_unsupported'],
  ];

  for (const [where, build, status, error, reason] of cases) {
    it.each(PAYLOADS)(`${where} ending in %j: ${status} ${error}, nothing reflected`, async (payload) => {
      const response = await server.post(build(payload));
      expectRefusal(response, server, { status, error, reason: typeof reason === 'function' ? reason(payload) : reason, wwwAuthenticate: false });
      expectNotReflected(response);
    });
  }

  it.each(PAYLOADS)('a Basic user name ending in %j: 401 with only the fixed Basic challenge, nothing reflected (client_unknown)', async (payload) => {
    const response = await server.post({ grant_type: 'client_credentials' }, { authorization: basicAuthorization(`secret-basic${payload}`, CLIENT_SECRET) });
    expectRefusal(response, server, { status: 401, error: 'invalid_client', reason: 'client_unknown', wwwAuthenticate: true });
    expectNotReflected(response);
  });

  it.each(PAYLOADS)('an assertion kid ending in %j: 401, nothing reflected (assertion_key_not_found)', async (payload) => {
    const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { header: { kid: `es256-key${payload}` } });
    const response = await server.post(assertionParameters(assertion));
    expectRefusal(response, server, { status: 401, error: 'invalid_client', reason: 'assertion_key_not_found' });
    expectNotReflected(response);
  });

  it('raw bytes on the wire: a bare CR inside the Authorization header is refused by the HTTP parser (4xx), no injected header comes back', async () => {
    const url = new URL(server.server.origin);
    const body = 'grant_type=client_credentials';
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: context.pki.trustAnchorsPem, servername: 'localhost' }, () => {
        socket.write(
          `POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n` +
            `Authorization: Basic c2VjcmV0LWJhc2ljOng=\rSet-Cookie: ${MARKER}=1\r\nConnection: close\r\n\r\n${body}`,
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    const statusLine = raw.split('\r\n')[0] ?? '';
    expect(statusLine).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(raw.toLowerCase()).not.toContain(`set-cookie: ${MARKER}`);
  });
});
