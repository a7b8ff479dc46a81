import https from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import express from 'express';
import { Hono } from 'hono';
import { type HttpBindings, serve } from '@hono/node-server';
import { createFetchHandler } from '../../src/adapters/fetch.js';
import { tokenEndpoint } from '../../src/adapters/fastify.js';
import { createNodeHandler } from '../../src/adapters/node.js';
import { tlsClientCertificateOf } from '../../src/adapters/tls-socket.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import type { TestPki } from '../../src/testing/pki.js';

export type AdapterName = 'fastify' | 'node' | 'express' | 'hono';
/** Every conformance suite runs once per adapter, over real HTTPS. */
export const ADAPTERS: readonly AdapterName[] = ['fastify', 'node', 'express', 'hono'];

export interface RunningServer {
  /** `https://127.0.0.1:PORT` */
  readonly origin: string;
  close(): Promise<void>;
}

/** TLS options: ask every client for a certificate, require none, let the library judge it. */
export function serverTlsOptions(pki: TestPki): https.ServerOptions {
  return { key: pki.server.privateKeyPem, cert: pki.server.chainPem, requestCert: true, rejectUnauthorized: false };
}

async function listen(server: https.Server, port: number): Promise<RunningServer> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return running(server);
}

function running(server: https.Server): RunningServer {
  const address = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Mounts `endpoint` with the named adapter in a real HTTPS server on a free loopback port. */
export async function startServer(adapter: AdapterName, endpoint: TokenEndpoint, pki: TestPki, port = 0): Promise<RunningServer> {
  if (adapter === 'fastify') {
    const app = Fastify({ https: serverTlsOptions(pki) });
    // A host that already parses forms must not break the endpoint (STYLE.md item 11).
    await app.register(import('@fastify/formbody'));
    await app.register(tokenEndpoint, { endpoint });
    await app.listen({ port, host: '127.0.0.1' });
    const address = app.server.address() as AddressInfo;
    return { origin: `https://127.0.0.1:${address.port}`, close: () => app.close() };
  }
  if (adapter === 'hono') {
    // The Fetch adapter as a Hono middleware on @hono/node-server: the Request carries neither the
    // TLS client certificate nor the peer address, so the route hands them over from the socket.
    const handle = createFetchHandler(endpoint);
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.use('*', async (c, next) => {
      const socket = c.env.incoming.socket;
      const response = await handle(c.req.raw, { tlsClientCertificate: tlsClientCertificateOf(socket), peerAddress: socket.remoteAddress });
      if (response) return response;
      await next();
      return undefined;
    });
    const server = await new Promise<https.Server>((resolve, reject) => {
      const created = serve(
        { fetch: app.fetch, createServer: https.createServer, serverOptions: serverTlsOptions(pki), port, hostname: '127.0.0.1' },
        () => resolve(created as https.Server),
      );
      created.once('error', reject);
    });
    return running(server);
  }
  if (adapter === 'express') {
    const app = express();
    // The documented mount: before the host's global body parsers, so the endpoint reads the raw
    // body itself (exact size cap, strict UTF-8). A pre-parsed req.body is covered separately.
    app.use(createNodeHandler(endpoint));
    app.use(express.urlencoded({ extended: false }));
    return listen(https.createServer(serverTlsOptions(pki), app), port);
  }
  return listen(https.createServer(serverTlsOptions(pki), createNodeHandler(endpoint)), port);
}
