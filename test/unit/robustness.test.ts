import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EndpointRequest } from '../../src/core/request.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import type { EndpointResponse } from '../../src/util/http.js';
import { CLIENT_SECRET, type ConformanceContext, assertionFor, assertionParameters, basicAuthorization, createConformanceContext } from '../helpers/context.js';
import { formBody } from '../helpers/http.js';
import { prng } from '../helpers/prng.js';

/** RFC 6749 §5.2, RFC 8707 §2 (invalid_target), RFC 6750 §3.1 (invalid_token), plus the §4.1.2.1 server errors. */
const RFC_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_token',
  'server_error',
  'temporarily_unavailable',
]);
const ALLOWED_STATUSES = new Set([200, 400, 401, 405, 413, 503]);
const FORM = 'application/x-www-form-urlencoded';


describe('endpoint.token() robustness against hostile plain requests (in process)', () => {
  let context: ConformanceContext;
  let endpoint: TokenEndpoint;
  const statusesSeen = new Map<number, number>();

  beforeAll(async () => {
    context = await createConformanceContext();
    endpoint = context.endpoint;
  });

  /**
   * Calls the endpoint and checks the answer is well-formed: it resolves (a rejection fails the
   * test), the status is one the endpoint may give, the body is JSON with an RFC error, and nothing
   * internal or secret leaks.
   */
  async function answer(request: EndpointRequest, secrets: readonly string[] = []): Promise<EndpointResponse> {
    const response = await endpoint.token(request);
    statusesSeen.set(response.status, (statusesSeen.get(response.status) ?? 0) + 1);
    expect(ALLOWED_STATUSES.has(response.status), `status ${response.status}: ${response.body}`).toBe(true);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    if (response.status === 200) {
      expect(body.token_type).toBe('Bearer');
      expect(typeof body.access_token).toBe('string');
    } else {
      expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
      expect(RFC_ERRORS.has(String(body.error)), String(body.error)).toBe(true);
      expect(typeof body.error_description).toBe('string');
    }
    expect(response.body).not.toMatch(/Error:|\bat \S+ \(|\.[jt]s:\d+|node:internal/);
    for (const secret of [CLIENT_SECRET, ...secrets]) expect(response.body).not.toContain(secret);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    return response;
  }

  const post = (body: EndpointRequest['body'], headers: Record<string, string | readonly string[] | undefined> = { 'content-type': FORM }): EndpointRequest => ({
    method: 'POST',
    headers,
    body,
  });
  const secretPostBody = (): string => formBody({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET });

  it('answers a valid request (baseline)', async () => {
    expect((await answer(post(secretPostBody()))).status).toBe(200);
  });

  it('survives random-byte bodies, as bytes and as strings', async () => {
    const random = prng(1);
    for (let index = 0; index < 60; index++) {
      const bytes = randomBytes(Math.floor(random() * 20_000));
      const response = await answer(post(index % 2 === 0 ? bytes : bytes.toString('latin1')));
      expect(response.status).not.toBe(200);
    }
  });

  it('survives huge headers', async () => {
    const huge = 'A'.repeat(1_000_000);
    const refused: Record<string, string>[] = [
      { 'content-type': huge },
      { 'content-type': `${FORM}; charset=${huge}` },
      { 'content-type': FORM, authorization: `Basic ${huge}` },
      { 'content-type': FORM, authorization: `Basic ${Buffer.from(`secret-basic:${'x'.repeat(100_000)}`).toString('base64')}` },
      { 'content-type': FORM, authorization: `${huge} ${huge}` },
      { 'content-type': FORM, authorization: ' '.repeat(100_000) },
    ];
    for (const headers of refused) expect((await answer(post(secretPostBody(), headers))).status).not.toBe(200);
    // Harmless bulk is not a reason to refuse: 10,000 unrelated headers, a content type with 50,000 parameters.
    const harmless: Record<string, string>[] = [
      { 'content-type': FORM, ...Object.fromEntries(Array.from({ length: 10_000 }, (_, index) => [`x-header-${index}`, huge.slice(0, 100)])) },
      { 'content-type': `${FORM}${'; charset=utf-8'.repeat(50_000)}` },
    ];
    for (const headers of harmless) expect((await answer(post(secretPostBody(), headers))).status).toBe(200);
  });

  it('survives header arrays and empty header values', async () => {
    const cases: Record<string, string | readonly string[]>[] = [
      { 'content-type': [FORM, FORM] },
      { 'content-type': [] },
      { 'content-type': [FORM] },
      { 'content-type': '' },
      { 'content-type': FORM, authorization: [] },
      { 'content-type': FORM, authorization: [basicAuthorization('secret-basic', CLIENT_SECRET), basicAuthorization('secret-basic', CLIENT_SECRET)] },
      { 'content-type': FORM, authorization: '' },
      { 'content-type': FORM, authorization: 'Basic' },
      { 'content-type': FORM, authorization: 'Bearer abc' },
      { 'content-type': FORM, authorization: 'Basic Og==' },
    ];
    for (const headers of cases) await answer(post(secretPostBody(), headers));
    // A one-element array is the same as the plain header.
    expect((await answer(post(secretPostBody(), { 'content-type': [FORM] }))).status).toBe(200);
  });

  it('survives bodies that are not forms: objects with nested arrays, objects, numbers, null, prototypes', async () => {
    const bodies: unknown[] = [
      { grant_type: ['client_credentials', ['nested']] },
      { grant_type: { nested: { deeper: [1, 2, 3] } } },
      { grant_type: 5, client_id: true, client_secret: null },
      { grant_type: 'client_credentials', client_id: 'secret-post', client_secret: [CLIENT_SECRET, CLIENT_SECRET] },
      { grant_type: 'client_credentials', client_id: 'secret-post', client_secret: [CLIENT_SECRET, { toString: () => CLIENT_SECRET }] },
      JSON.parse('{"__proto__": {"grant_type": "client_credentials"}, "constructor": {"prototype": {}}}'),
      Object.assign(Object.create(null) as object, { grant_type: 'client_credentials', client_id: 'secret-post', client_secret: 7 }),
      [['grant_type', 'client_credentials']],
      new Map([['grant_type', 'client_credentials']]),
      new Date(),
      null,
      Number.NaN,
      new Uint16Array([0xd800, 0xdfff]),
      Array.from({ length: 10_000 }, () => ({})),
    ];
    for (const body of bodies) {
      const response = await answer(post(body as EndpointRequest['body']));
      expect(response.status).not.toBe(200);
    }
    // The well-formed parsed form of the same request is accepted.
    const parsed = { grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET };
    expect((await answer(post(parsed))).status).toBe(200);
  });

  it('survives requests with missing header fields and bodies', async () => {
    const cases: EndpointRequest[] = [
      { method: 'POST', headers: {} },
      { method: 'POST', headers: {}, body: secretPostBody() },
      { method: 'POST', headers: { 'content-type': FORM } },
      { method: 'POST', headers: { 'content-type': FORM }, body: '' },
      { method: 'POST', headers: { 'content-type': FORM }, body: new Uint8Array(0) },
      { method: 'POST', headers: { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) }, body: 'grant_type=client_credentials' },
      { method: 'POST', headers: { 'content-type': undefined }, body: secretPostBody() },
    ];
    for (const request of cases) expect((await answer(request)).status).not.toBe(200);
  });

  it('survives odd methods; only POST, case-sensitively (RFC 9110 §9.1), reaches the grant', async () => {
    for (const method of ['GET', 'DELETE', 'OPTIONS', '', 'POST ', 'post', 'P\u0000ST', 'PÖST', 'x'.repeat(100_000)]) {
      expect((await answer({ ...post(secretPostBody()), method })).status).toBe(405);
    }
    expect((await answer({ ...post(secretPostBody()), method: 'POST' })).status).toBe(200);
  });

  it('answers a null or non-object request from an untyped caller with a clean refusal', async () => {
    for (const request of [null, undefined, 42, 'POST']) {
      const response = await context.endpoint.token(request as never);
      expect([400, 405, 500]).toContain(response.status);
      expect(response.body).not.toMatch(/TypeError|at .*:\d+/);
    }
  });

  it('survives null bytes and control characters in names, values and headers', async () => {
    const assertion = await assertionFor(context, 'pkjwt');
    const bodies = [
      `grant_type=client_credentials%00&client_id=secret-post&client_secret=${encodeURIComponent(CLIENT_SECRET)}`,
      `grant_type=client_credentials&client_id=secret-post%00&client_secret=${encodeURIComponent(CLIENT_SECRET)}`,
      `grant_type=client_credentials&client_id=secret-post&client_secret=${encodeURIComponent(CLIENT_SECRET)}%00`,
      `grant_type=client_credentials&client_id=secret-post&client_\u0000secret=x`,
      `grant_type\u0000=client_credentials`,
      formBody({ ...assertionParameters(assertion), client_assertion: `${assertion}\u0000` }),
      formBody({ ...assertionParameters(assertion), client_assertion: assertion.replace('.', '\u0000') }),
      formBody({ ...assertionParameters(assertion), client_id: 'pkjwt\u0000' }),
      `grant_type=client_credentials&scope=read%0Awrite&client_id=secret-post&client_secret=${encodeURIComponent(CLIENT_SECRET)}`,
    ];
    for (const body of bodies) {
      expect((await answer(post(body), [assertion])).status).not.toBe(200);
    }
    await answer(post(secretPostBody(), { 'content-type': `${FORM}\u0000` }));
    await answer(post('grant_type=client_credentials', { 'content-type': FORM, authorization: `Basic ${Buffer.from('secret-basic\u0000:x').toString('base64')}` }));
  });

  it('answers 413 for bodies over the cap, whatever their type', async () => {
    const big = `${secretPostBody()}&padding=${'x'.repeat(20_000)}`;
    expect((await answer(post(big))).status).toBe(413);
    expect((await answer(post(Buffer.from(big)))).status).toBe(413);
  });

  it('survives 1,000 randomly mutated valid requests (seeded PRNG), then still answers a valid request', async () => {
    const random = prng(0x5eed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const hostile = ['%', '%%', '%zz', '%FF', '%C3', '&', '=', '+', '\u0000', '\uFFFF', '\uD800', '€', ' ', '"', '\\', '.', '&&', '==', '%00'];
    const randomChar = (): string => (random() < 0.5 ? pick(hostile) : String.fromCharCode(Math.floor(random() * 0x250)));

    const mutateText = (text: string): string => {
      if (text.length === 0) return randomChar();
      const at = Math.floor(random() * text.length);
      switch (Math.floor(random() * 7)) {
        case 0:
          return text.slice(0, at) + randomChar() + text.slice(at + 1);
        case 1:
          return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 40));
        case 2: {
          const end = Math.min(text.length, at + 1 + Math.floor(random() * 60));
          return text.slice(0, end) + text.slice(at, end) + text.slice(end);
        }
        case 3:
          return text.slice(0, at);
        case 4:
          return `${text}&${pick(['grant_type=client_credentials', 'client_id=secret-post', 'scope=read', 'client_assertion=x', 'resource=https://api.example.test', 'client_id=pkjwt', 'scope=', '=', '&'])}`;
        case 5:
          return text.split('&').reverse().join('&');
        default:
          return text.slice(0, at) + randomChar().repeat(1 + Math.floor(random() * 5)) + text.slice(at);
      }
    };

    const toParsedForm = (text: string): Record<string, unknown> => {
      const form: Record<string, unknown> = {};
      for (const pair of text.split('&')) {
        const [name = '', value = ''] = pair.split('=');
        const roll = random();
        form[name] = roll < 0.7 ? value : roll < 0.8 ? [value, value] : roll < 0.9 ? Number(value.length) : { value };
      }
      return form;
    };

    for (let index = 0; index < 1000; index++) {
      const kind = index % 3;
      const headers: Record<string, string | readonly string[] | undefined> = { 'content-type': FORM };
      let text: string;
      const secrets: string[] = [];
      if (kind === 0) {
        text = secretPostBody();
      } else if (kind === 1) {
        text = 'grant_type=client_credentials&scope=read';
        headers.authorization = basicAuthorization('secret-basic', CLIENT_SECRET);
      } else {
        const assertion = await assertionFor(context, 'pkjwt');
        secrets.push(assertion);
        text = formBody(assertionParameters(assertion));
      }
      for (let count = 1 + Math.floor(random() * 4); count > 0; count--) text = mutateText(text);
      if (headers.authorization !== undefined && random() < 0.3) headers.authorization = mutateText(String(headers.authorization));
      if (random() < 0.1) headers['content-type'] = pick([`${FORM}; charset=latin1`, 'text/plain', `${FORM};charset="UTF-8"`, [FORM, 'x'], mutateText(FORM)]);
      let body: EndpointRequest['body'] = text;
      const shape = random();
      if (shape < 0.15) body = Buffer.concat([Buffer.from(text), random() < 0.5 ? Buffer.from([0xff, 0xc3]) : Buffer.alloc(0)]);
      else if (shape < 0.25) body = toParsedForm(text) as EndpointRequest['body'];
      const method = random() < 0.05 ? pick(['GET', 'post', 'PUT', '']) : 'POST';
      await answer({ method, headers, body, peerAddress: '203.0.113.7' }, secrets);
    }

    // The mutations reached every layer: parsing, authentication and issuance.
    for (const status of [200, 400, 401]) expect(statusesSeen.get(status) ?? 0, `status ${status} never seen`).toBeGreaterThan(0);

    expect((await answer(post(secretPostBody()))).status).toBe(200);
    const assertion = await assertionFor(context, 'pkjwt');
    expect((await answer(post(formBody(assertionParameters(assertion))), [assertion])).status).toBe(200);
  });
});
