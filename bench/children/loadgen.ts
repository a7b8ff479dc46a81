/**
 * The load generator, in its own process so it never shares a core's event loop with a
 * server: raw TLS sockets (keep-alive, one request in flight per connection), requests built
 * as bytes before the clock starts, a minimal HTTP/1.1 response reader (Content-Length or
 * chunked). Nothing here allocates per request beyond the response chunks.
 *
 * Args: --fixtures FILE
 */
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { createAssertionSigner } from '../lib/assertions.js';
import { serveCommands } from '../lib/child.js';
import { readFixtures } from '../lib/fixtures.js';
import { formBody, pkjwtBody } from '../lib/scenarios.js';
import { percentile } from '../lib/stats.js';

const { values } = parseArgs({ options: { fixtures: { type: 'string' } } });
const fixtures = readFixtures(values.fixtures as string);
const es256 = createAssertionSigner(fixtures.pkjwtKeys.ES256);

export type HttpsScenario = 'pkjwt-es256' | 'mtls-dn';

export interface LoadRequest {
  readonly port: number;
  readonly scenario: HttpsScenario;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Bound on requests (warm-up included): private_key_jwt signs this many assertions first. */
  readonly maxRequests: number;
}

export interface LoadResult {
  /** Responses inside the measured window. */
  readonly completed: number;
  /** Every response of the run, warm-up included (for the server's CPU per request). */
  readonly responses: number;
  readonly seconds: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The measured window on CLOCK_MONOTONIC (µs), the clock CPU profiles use. */
  readonly windowMicros: readonly [number, number];
  readonly firstError?: string | undefined;
}

function rawRequest(port: number, body: string): Buffer {
  return Buffer.from(
    `POST /token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
  );
}

function buildRequests({ port, scenario, maxRequests }: LoadRequest): { readonly next: () => Buffer | undefined } {
  if (scenario === 'mtls-dn') {
    const request = rawRequest(port, formBody({ grant_type: 'client_credentials', scope: fixtures.scope, client_id: 'mtls-dn' }));
    let left = maxRequests;
    return { next: () => (left-- > 0 ? request : undefined) };
  }
  const requests = es256.sign('pkjwt-es256', fixtures.issuer, maxRequests).map((assertion) => rawRequest(port, pkjwtBody('pkjwt-es256', assertion, fixtures.scope)));
  let position = 0;
  return { next: () => requests[position++] };
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** Length of a complete response at the start of `data`, its status, or -1 while incomplete. */
function completeResponse(data: Buffer): { readonly length: number; readonly status: number } | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = data.toString('latin1', 0, headerEnd).toLowerCase();
  const status = Number(head.slice(9, 12));
  const bodyStart = headerEnd + 4;
  const lengthMatch = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (lengthMatch) {
    const end = bodyStart + Number(lengthMatch[1]);
    return data.length >= end ? { length: end, status } : undefined;
  }
  if (head.includes('\r\ntransfer-encoding: chunked')) {
    let position = bodyStart;
    for (;;) {
      const lineEnd = data.indexOf(CRLF, position);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(data.toString('latin1', position, lineEnd), 16);
      if (size === 0) {
        const end = lineEnd + 4;
        return data.length >= end ? { length: end, status } : undefined;
      }
      position = lineEnd + 2 + size + 2;
      if (position > data.length) return undefined;
    }
  }
  return { length: bodyStart, status };
}

async function run(request: LoadRequest): Promise<LoadResult> {
  const source = buildRequests(request);
  const certificate = request.scenario === 'mtls-dn' ? fixtures.certificates.dn : undefined;
  const connectOptions: tls.ConnectionOptions = {
    host: '127.0.0.1',
    port: request.port,
    servername: 'localhost',
    rejectUnauthorized: false,
    ...(certificate ? { cert: certificate.chainPem, key: certificate.keyPem } : {}),
  };
  const latencies = new Float64Array(request.maxRequests);
  let recorded = 0;
  let responses = 0;
  let errors = 0;
  let firstError: string | undefined;
  let measureStart = Number.POSITIVE_INFINITY;
  let measureEnd = Number.POSITIVE_INFINITY;
  let lastCompletion = 0;
  let active = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const connect = (): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect(connectOptions, () => resolve(socket));
      socket.once('error', reject);
    });

  const drive = (socket: tls.TLSSocket): void => {
    active++;
    let pending: Buffer = Buffer.alloc(0);
    let startedAt = 0;
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      socket.destroy();
      if (--active === 0) finish();
    };
    const send = (): void => {
      const now = performance.now();
      const bytes = now < measureEnd ? source.next() : undefined;
      if (!bytes) {
        stop();
        return;
      }
      startedAt = now;
      socket.write(bytes);
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const response = completeResponse(pending);
        if (!response) return;
        const body = pending.subarray(0, response.length);
        pending = pending.subarray(response.length);
        const now = performance.now();
        responses++;
        if (response.status !== 200) {
          errors++;
          firstError ??= body.toString('utf8').slice(0, 400);
        } else if (startedAt >= measureStart && now <= measureEnd) {
          latencies[recorded++] = now - startedAt;
          lastCompletion = now;
        }
        send();
      }
    });
    socket.on('error', (error) => {
      errors++;
      firstError ??= `socket: ${error.message}`;
      stop();
    });
    socket.on('close', stop);
    send();
  };

  const sockets = await Promise.all(Array.from({ length: request.concurrency }, connect));
  const started = performance.now();
  measureStart = started + request.warmupMs;
  measureEnd = measureStart + request.durationMs;
  for (const socket of sockets) drive(socket);
  // Bounded: the window, plus time for the last responses.
  const guard = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, request.warmupMs + request.durationMs + 10_000);
  await finished;
  clearTimeout(guard);
  const end = Math.min(measureEnd, Math.max(lastCompletion, measureStart));
  const measured = latencies.subarray(0, recorded);
  // performance.now() and process.hrtime() share CLOCK_MONOTONIC; map the window onto hrtime µs.
  const offset = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  return {
    completed: recorded,
    responses,
    seconds: (end - measureStart) / 1000,
    errors,
    p50Ms: percentile(measured, 50),
    p99Ms: percentile(measured, 99),
    windowMicros: [offset + measureStart * 1000, offset + end * 1000],
    firstError,
  };
}

serveCommands({ run });
