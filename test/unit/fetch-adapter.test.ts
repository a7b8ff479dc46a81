import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFetchHost } from '../../examples/fetch-host.js';
import { type FetchContext, createFetchHandler, createStandaloneFetchHandler } from '../../src/adapters/fetch.js';
import type { EndpointRequest } from '../../src/core/request.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import { ConfigurationError } from '../../src/errors/errors.js';
import { generateFixtureSet } from '../../src/testing/fixture-set.js';
import { CLIENT_SECRET, type ConformanceContext, ISSUER, basicAuthorization, createConformanceContext } from '../helpers/context.js';
import { FORM_CONTENT_TYPE, formBody, httpsRequest } from '../helpers/http.js';

const ORIGIN = 'https://as.example.test';
const SECRET_POST = { grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET };

/** A body stream that never ends by itself: 1 KiB chunks, counted as they are pulled. */
function endlessStream(): { stream: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => boolean } {
  let pulls = 0;
  let cancelled = false;
  const chunk = new Uint8Array(1024).fill(0x78);
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls++;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulls, cancelled: () => cancelled };
}

type Init = NonNullable<ConstructorParameters<typeof Request>[1]>;

function post(path: string, body: Init['body'], headers: Init['headers'] = FORM_CONTENT_TYPE): Request {
  // `duplex: 'half'` is what a Request with a stream body needs (not in every typing of RequestInit).
  return new Request(`${ORIGIN}${path}`, { method: 'POST', body, headers, duplex: 'half' } as Init);
}

describe('Fetch adapter, in process: Request in, Response out', () => {
  let context: ConformanceContext;
  let handle: ReturnType<typeof createFetchHandler>;
  const lastReason = (): unknown => (context.events.at(-1) as { reason?: unknown } | undefined)?.reason;

  beforeAll(async () => {
    context = await createConformanceContext();
    handle = createFetchHandler(context.endpoint);
  });

  it('issues a token for a valid form POST', async () => {
    const response = await handle(post('/token', formBody(SECRET_POST)));
    expect(response?.status).toBe(200);
    expect(response?.headers.get('cache-control')).toBe('no-store');
    expect(await response?.json()).toMatchObject({ token_type: 'Bearer', scope: 'read' });
  });

  it('refuses a misuse at construction: the endpoint must come from createTokenEndpoint()', () => {
    expect(() => createFetchHandler({} as TokenEndpoint)).toThrow(ConfigurationError);
    expect(() => createFetchHandler(undefined as unknown as TokenEndpoint)).toThrow(/endpoint: must be the result of createTokenEndpoint\(\)/);
  });

  describe('body size cap (endpoint.maxBodyBytes, exact)', () => {
    it('refuses a streamed body without Content-Length with 413 invalid_request, and stops reading just past the cap', async () => {
      const { stream, pulled, cancelled } = endlessStream();
      const request = post('/token', stream);
      expect(request.headers.has('content-length')).toBe(false);
      const response = await handle(request);
      expect(response?.status).toBe(413);
      expect(await response?.json()).toMatchObject({ error: 'invalid_request' });
      expect(lastReason()).toBe('body_too_large');
      // An endless body was answered at all: it was cut off, after about maxBodyBytes of it.
      expect(pulled()).toBeLessThanOrEqual(Math.ceil(context.endpoint.maxBodyBytes / 1024) + 2);
      expect(cancelled()).toBe(true);
    });

    it('refuses a declared Content-Length over the cap before reading a byte', async () => {
      const { stream, pulled } = endlessStream();
      const request = post('/token', stream, { ...FORM_CONTENT_TYPE, 'content-length': String(context.endpoint.maxBodyBytes + 1) });
      const response = await handle(request);
      expect(response?.status).toBe(413);
      expect(lastReason()).toBe('body_too_large');
      expect(pulled()).toBe(0);
    });

    it('accepts a body of exactly maxBodyBytes and refuses one byte more (streamed, no Content-Length)', async () => {
      const form = formBody({ ...SECRET_POST, padding: '' });
      const exact = form + 'x'.repeat(context.endpoint.maxBodyBytes - form.length);
      const asStream = (text: string): ReadableStream<Uint8Array> => {
        const bytes = new TextEncoder().encode(text);
        // Odd-sized chunks, so the cap falls inside a chunk.
        return new ReadableStream({
          start(controller) {
            for (let offset = 0; offset < bytes.length; offset += 1000) controller.enqueue(bytes.subarray(offset, offset + 1000));
            controller.close();
          },
        });
      };
      expect((await handle(post('/token', asStream(exact))))?.status).toBe(200);
      const over = await handle(post('/token', asStream(`${exact}x`)));
      expect(over?.status).toBe(413);
      expect(lastReason()).toBe('body_too_large');
    });
  });

  describe('routing: exact paths of the endpoint, everything else is not ours', () => {
    it('resolves to undefined for a foreign path, so a middleware can hand it on', async () => {
      expect(await handle(post('/other', formBody(SECRET_POST)))).toBeUndefined();
      expect(await handle(new Request(`${ORIGIN}/.well-known/openid-configuration`))).toBeUndefined();
      expect(await handle(new Request(`${ORIGIN}/token/`))).toBeUndefined();
    });
    it('the standalone variant answers a foreign path with 404 not_found', async () => {
      const standalone = createStandaloneFetchHandler(context.endpoint);
      const response = await standalone(new Request(`${ORIGIN}/other`));
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'not_found' });
      expect((await standalone(post('/token', formBody(SECRET_POST)))).status).toBe(200);
    });
    it('ignores the query string when matching', async () => {
      expect((await handle(post('/token?x=1', formBody(SECRET_POST))))?.status).toBe(200);
    });
  });

  it('serves RFC 8414 metadata to GET as public, cacheable JSON', async () => {
    const response = await handle(new Request(`${ORIGIN}${context.endpoint.paths.metadata}`));
    expect(response?.status).toBe(200);
    expect(response?.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response?.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(await response?.json()).toMatchObject({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` });
  });

  it('refuses GET on the token endpoint with 405 and Allow: POST (RFC 6749 §3.2)', async () => {
    const response = await handle(new Request(`${ORIGIN}/token`));
    expect(response?.status).toBe(405);
    expect(response?.headers.get('allow')).toBe('POST');
    expect(lastReason()).toBe('method_not_allowed');
  });

  it('refuses a JSON body with 400 invalid_request (RFC 6749 Appendix B: form-urlencoded only)', async () => {
    const response = await handle(post('/token', JSON.stringify(SECRET_POST), { 'content-type': 'application/json' }));
    expect(response?.status).toBe(400);
    expect(await response?.json()).toMatchObject({ error: 'invalid_request' });
    expect(lastReason()).toBe('content_type_unsupported');
  });

  describe('unreadable bodies get the same refusal as through the other adapters', () => {
    it('a body the host already consumed is refused as malformed', async () => {
      const request = post('/token', formBody(SECRET_POST));
      await request.text();
      const response = await handle(request);
      expect(response?.status).toBe(400);
      expect(await response?.json()).toMatchObject({ error: 'invalid_request' });
      expect(lastReason()).toBe('body_malformed');
    });
    it('a body stream that errors (client gone) is refused as malformed', async () => {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('grant_type=client_'));
          controller.error(new Error('aborted'));
        },
      });
      const response = await handle(post('/token', stream));
      expect(response?.status).toBe(400);
      expect(lastReason()).toBe('body_malformed');
    });
  });

  describe('repeated header lines: Fetch Headers joins them with ", "', () => {
    it('refuses two Content-Type lines (the joined value is no media type)', async () => {
      const headers = new Headers();
      headers.append('content-type', 'application/x-www-form-urlencoded');
      headers.append('content-type', 'application/json');
      const response = await handle(post('/token', formBody(SECRET_POST), headers));
      expect(response?.status).toBe(400);
      expect(lastReason()).toBe('content_type_unsupported');
    });
    it('refuses two Authorization lines (the joined value is no Basic credential), with 401', async () => {
      const headers = new Headers(FORM_CONTENT_TYPE);
      headers.append('authorization', basicAuthorization('secret-basic', CLIENT_SECRET));
      headers.append('authorization', basicAuthorization('secret-basic', CLIENT_SECRET));
      const response = await handle(post('/token', formBody({ grant_type: 'client_credentials' }), headers));
      expect(response?.status).toBe(401);
      expect(await response?.json()).toMatchObject({ error: 'invalid_client' });
      expect(lastReason()).toBe('basic_credentials_malformed');
    });
    it('hands the core one lower-case record: repeated lines joined, names lower-cased, no prototype; the context as given', async () => {
      let seen: EndpointRequest | undefined;
      const probe: TokenEndpoint = {
        ...context.endpoint,
        handlerFor: (path) =>
          path === '/probe'
            ? async (request) => {
                seen = request;
                return { status: 204, headers: {}, body: '' };
              }
            : undefined,
      };
      const headers = new Headers({ 'X-Forwarded-Client-Cert': 'By=a;Hash=1' });
      headers.append('x-forwarded-client-cert', 'By=b;Hash=2');
      headers.append('Constructor', 'plain data');
      const fetchContext: FetchContext = { peerAddress: '10.0.0.9' };
      const response = await createFetchHandler(probe)(post('/probe', 'a=1', headers), fetchContext);
      // 204 must be built with a null body (Fetch throws on any other).
      expect(response?.status).toBe(204);
      expect(seen?.headers['x-forwarded-client-cert']).toBe('By=a;Hash=1, By=b;Hash=2');
      expect(seen?.headers.constructor).toBe('plain data');
      expect(Object.getPrototypeOf(seen?.headers)).toBeNull();
      expect(seen?.peerAddress).toBe('10.0.0.9');
      expect(seen?.tlsClientCertificate).toBeUndefined();
      expect(new TextDecoder().decode(seen?.body as Uint8Array)).toBe('a=1');
    });
  });

  it('passes the TLS client certificate from the context to mutual-TLS client authentication (RFC 8705 §2.1)', async () => {
    const { pki } = context;
    const identity = await pki.issueClientCertificate({ subject: 'CN=fetch-client,O=Demo' });
    const endpoint = context.createEndpoint({
      mtls: { trustAnchors: pki.trustAnchorsPem },
      clients: [
        {
          client_id: 'fetch-mtls',
          token_endpoint_auth_method: 'tls_client_auth',
          tls_client_auth_subject_dn: 'CN=fetch-client,O=Demo',
          tls_client_certificate_bound_access_tokens: true,
          scope: 'read',
        },
      ],
    });
    const mtls = createFetchHandler(endpoint);
    const body = formBody({ grant_type: 'client_credentials', client_id: 'fetch-mtls' });
    const withCertificate = await mtls(post('/token', body), {
      tlsClientCertificate: { certificate: identity.der, intermediates: [pki.issuingCa.der] },
      peerAddress: '127.0.0.1',
    });
    expect(withCertificate?.status).toBe(200);
    const token = String(((await withCertificate?.json()) as { access_token: unknown }).access_token);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { cnf?: Record<string, unknown> };
    expect(claims.cnf?.['x5t#S256']).toBe(identity.x5tS256);
    // No context: the Request itself carries no certificate.
    const without = await mtls(post('/token', body));
    expect(without?.status).toBe(401);
    expect(await without?.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('examples/fetch-host.ts: Hono on @hono/node-server over real mutual TLS (smoke run)', () => {
  let directory: string;
  let fixtures: Awaited<ReturnType<typeof generateFixtureSet>>;
  let host: Awaited<ReturnType<typeof startFetchHost>>;
  let ca: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'm2m-fetch-host-'));
    fixtures = await generateFixtureSet(directory);
    ca = fixtures.pki.trustAnchorsPem;
    host = await startFetchHost({
      caPem: ca,
      serverCertificatePem: fixtures.pki.server.chainPem,
      serverKeyPem: fixtures.pki.server.privateKeyPem,
      clients: fixtures.clients.map((client) => client.metadata),
      port: 0,
    });
  });
  afterAll(async () => {
    await host?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const at = (url: string): string => url.replace('localhost', '127.0.0.1');

  it('serves metadata, and leaves other paths to the Hono app', async () => {
    const metadata = await httpsRequest(at(`${new URL(host.url).origin}/.well-known/oauth-authorization-server`), { method: 'GET', ca });
    expect(metadata.status).toBe(200);
    expect(metadata.json.token_endpoint).toBe(host.tokenUrl);
    expect((await httpsRequest(at(`${host.url}/`), { method: 'GET', ca })).text).toMatch(/Hono app/);
    expect((await httpsRequest(at(`${host.url}/nothing-here`), { method: 'GET', ca })).status).toBe(404);
  });

  it('issues a token to client_secret_post, and a certificate-bound one to tls_client_auth over mTLS', async () => {
    const secretClient = fixtures.clients.find((client) => client.metadata.token_endpoint_auth_method === 'client_secret_post');
    const secret = await httpsRequest(at(host.tokenUrl), {
      body: formBody({ grant_type: 'client_credentials', client_id: secretClient?.metadata.client_id, client_secret: secretClient?.clientSecret }),
      headers: FORM_CONTENT_TYPE,
      ca,
    });
    expect(secret.status, secret.text).toBe(200);

    // The files `npm run serve` writes for a tls_client_auth client: what `curl --cert --key` sends.
    const mtlsClient = fixtures.clients.find((client) => client.metadata.token_endpoint_auth_method === 'tls_client_auth');
    const chainPem = await readFile(String(mtlsClient?.files.certificatePem), 'utf8');
    const privateKeyPem = await readFile(String(mtlsClient?.files.privateKeyPem), 'utf8');
    const bound = await httpsRequest(at(host.tokenUrl), {
      body: formBody({ grant_type: 'client_credentials', client_id: mtlsClient?.metadata.client_id }),
      headers: FORM_CONTENT_TYPE,
      ca,
      clientCertificate: { chainPem, privateKeyPem },
    });
    expect(bound.status, bound.text).toBe(200);
    const claims = JSON.parse(Buffer.from(String(bound.json.access_token).split('.')[1] ?? '', 'base64url').toString('utf8')) as { cnf?: Record<string, unknown> };
    const leaf = new X509Certificate(chainPem).raw;
    expect(claims.cnf?.['x5t#S256']).toBe(createHash('sha256').update(leaf).digest('base64url'));
  });

  it('answers a chunked body over the cap with 413 on the wire (the stream is cut, the connection still answers)', async () => {
    const result = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = https.request(
        at(host.tokenUrl),
        { method: 'POST', ca, agent: false, headers: { ...FORM_CONTENT_TYPE, 'transfer-encoding': 'chunked' } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      let written = 0;
      const write = (): void => {
        while (written < 40) {
          written++;
          if (!request.write('x'.repeat(1000))) {
            request.once('drain', write);
            return;
          }
        }
        request.end();
      };
      write();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.text)).toMatchObject({ error: 'invalid_request' });
  });
});
