import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestPki } from '../../src/testing/pki.js';

export type KeyServerHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** A real key server (`jwks_uri`) on loopback that routes by path and counts every request it receives. */
export interface KeyServer {
  readonly origin: string;
  /** Requests received per path. */
  hits(path: string): number;
  route(path: string, handler: KeyServerHandler): void;
  close(): Promise<void>;
}

/** HTTPS with the PKI's server certificate, or plain HTTP without a PKI (for the allowHttp cases). */
export async function startKeyServer(pki: TestPki | undefined): Promise<KeyServer> {
  const routes = new Map<string, KeyServerHandler>();
  const counts = new Map<string, number>();
  const handler: KeyServerHandler = (request, response) => {
    const path = request.url ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    response.on('error', () => {});
    const route = routes.get(path);
    if (route) route(request, response);
    else response.writeHead(404).end();
  };
  const server = pki
    ? https.createServer({ key: pki.server.privateKeyPem, cert: pki.server.chainPem }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${pki ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits: (path) => counts.get(path) ?? 0,
    route: (path, route) => routes.set(path, route),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
