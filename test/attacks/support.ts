/**
 * Shared pieces of the attack suite: the one way every refusal is judged, a loopback "trap"
 * server that proves a URL was never dereferenced, and a few small helpers.
 *
 * Every refusal is checked the same way, because an attacker reads every byte we send back:
 * the exact status, the RFC 6749 §5.2 `error`, a body of exactly `{error, error_description}`,
 * `Cache-Control: no-store`, no exception text or stack frame, no attacker-chosen marker and no
 * secret in the body or any header, and the precise reason only in the operator event.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import type { TestPki } from '../../src/testing/pki.js';
import type { HttpResult } from '../helpers/http.js';
import { type AdapterName, serverTlsOptions } from '../helpers/servers.js';

/** The two adapters every attack runs through at least (STYLE.md item 9: the same suite through each mount). */
export const CORE_ADAPTERS: readonly AdapterName[] = ['fastify', 'node'];

/** Anything that can hand back the last operator event. */
export interface EventSource {
  lastEvent(): TokenEndpointEvent;
}

export interface ExpectedRefusal {
  readonly status: number;
  readonly error: string;
  readonly reason: ReasonCode;
  /** `true`: the RFC 6749 §5.2 Basic challenge must be present; `false`: absent; omitted: not checked. */
  readonly wwwAuthenticate?: boolean;
  /** Strings that must appear nowhere in the answer (body, headers) nor in the operator event. */
  readonly secrets?: readonly string[];
}

/** Stack frames, exception names and Node internals: none may reach a caller. */
const INTERNALS = /Error:|\bat \S+ \(|\.[cm]?[jt]s:\d+|node:internal|TypeError|RangeError|SyntaxError/;

/** Judges one refusal on the wire and its operator event. */
export function expectRefusal(response: HttpResult, source: EventSource, expected: ExpectedRefusal): TokenEndpointEvent {
  expect(response.status, response.text).toBe(expected.status);
  expect(response.json.error, response.text).toBe(expected.error);
  expect(Object.keys(response.json).sort()).toEqual(['error', 'error_description']);
  expect(typeof response.json.error_description).toBe('string');
  // The precise reason is for the operator, never the caller (reasons.ts).
  expect(String(response.json.error_description)).not.toContain(expected.reason);
  expect(response.text).not.toMatch(INTERNALS);
  expect(response.headers['cache-control']).toBe('no-store');
  if (expected.wwwAuthenticate === true) expect(response.headers['www-authenticate']).toBe('Basic realm="token", charset="UTF-8"');
  if (expected.wwwAuthenticate === false) expect(response.headers['www-authenticate']).toBeUndefined();
  const event = source.lastEvent();
  expect(event.decision).toBe('deny');
  expect(event.reason).toBe(expected.reason);
  const recorded = JSON.stringify(event);
  const headers = JSON.stringify(response.headers);
  for (const secret of (expected.secrets ?? []).filter((value) => value.length >= 4)) {
    expect(response.text).not.toContain(secret);
    expect(headers).not.toContain(secret);
    // SPEC.md "Operator events": never a secret, a private key, an assertion or a token —
    // not even one of an assertion's segments.
    for (const part of secret.split('.').filter((segment) => segment.length >= 16)) expect(recorded).not.toContain(part);
  }
  return event;
}

/** RFC 6749 §5.1: a token was issued. */
export function expectIssued(response: HttpResult): void {
  expect(response.status, response.text).toBe(200);
  expect(typeof response.json.access_token).toBe('string');
  expect(response.json.token_type).toBe('Bearer');
}

/** A loopback HTTPS server that records every request it receives and answers `body`. */
export interface TrapServer {
  readonly origin: string;
  readonly hits: string[];
  close(): Promise<void>;
}

export async function startTrap(pki: TestPki, body = '{"keys":[]}'): Promise<TrapServer> {
  const hits: string[] = [];
  const server = https.createServer(serverTlsOptions(pki), (request, response) => {
    hits.push(`${request.method ?? ''} ${request.url ?? ''}`);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
  // A connection that never sends a request still counts: the server would have been contacted.
  server.on('secureConnection', () => hits.push('(tls connection)'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Epoch seconds on a whole second, for a frozen clock where "15 s" and "16 s" are exact. */
export function wholeSecondNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** base64url of a JSON value, for hand-made JWS segments. */
export function segment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}
