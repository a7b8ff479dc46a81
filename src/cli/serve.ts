import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { tokenEndpoint } from '../adapters/fastify.js';
import type { ProxyCertificateSource } from '../certificates/proxy-headers.js';
import type { ClientMetadata } from '../clients/metadata.js';
import { createTokenEndpoint } from '../core/token-endpoint.js';
import { invalidOption } from '../errors/errors.js';
import { FAPI2_AUTH_METHODS, validateProfile } from '../core/profile.js';
import { type DemoClient, type FixtureSet, generateFixtureSet } from '../testing/fixture-set.js';
import type { JWK } from 'jose';
import type { RedisCommandClient } from '../redis/client.js';
import { createRedisReplayStore } from '../redis/replay-store.js';
import { createRedisRevocationStore } from '../redis/revocation-store.js';
import { createRedisThrottleStore } from '../redis/throttle-store.js';
import { generateSigningKey } from '../tokens/generate.js';

export const SERVE_USAGE = `Usage: m2m-token-endpoint serve [options]      (npm run serve -- [options])

Starts an HTTPS OAuth 2.0 token endpoint that asks every client for a certificate (and
requires none). With no options it generates a test PKI, keys and one demo client per
authentication method into a new directory, and prints curl commands that get a token.

  --port N             TCP port (default 8443; 0 picks a free one)
  --host ADDR          bind address (default 127.0.0.1)
  --issuer URL         issuer identifier (default https://localhost:PORT)
  --tls-cert FILE      server certificate chain, PEM (default: generated)
  --tls-key FILE       server private key, PEM (default: generated)
  --client-ca FILE     PEM bundle of CAs trusted for tls_client_auth (default: generated test CA)
  --clients FILE       JSON array of client metadata, RFC 7591/8705 names (default: demo clients)
  --token-ttl SECONDS  access-token lifetime (default 300)
  --audience URI       aud of tokens requested without a resource (default https://resource.localhost)
  --fixtures-dir DIR   where generated fixtures go (default: a new directory under the OS temp dir)
  --trusted-proxy CIDR peer allowed to forward the client certificate in a header (repeatable; default none)
  --proxy-format F     how trusted proxies forward it: nginx, envoy, rfc9440, aws-alb (default nginx)
  --mtls-alias URL     advertise this token endpoint URL in mtls_endpoint_aliases (RFC 8705 §5)
  --redis URL          keep replay, revocation and throttle state in Redis (redis://…), shared by every instance
  --signing-key FILE   token-signing private key, JWK (JSON) or PEM, shared by every instance (default: generated)
  --profile fapi2      apply the FAPI 2.0 Security Profile (private_key_jwt and mTLS only, bound tokens, …)`;

interface ServeArguments {
  readonly port: number;
  readonly host: string;
  readonly issuer: string | undefined;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly clientCa: string | undefined;
  readonly clients: string | undefined;
  readonly tokenTtl: number;
  readonly audience: string;
  readonly fixturesDir: string | undefined;
  readonly trustedProxies: readonly string[];
  readonly proxyFormat: string;
  readonly mtlsAlias: string | undefined;
  readonly redis: string | undefined;
  readonly signingKey: string | undefined;
  readonly profile: 'fapi2' | undefined;
}

function parseServeArguments(argv: readonly string[]): ServeArguments | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '127.0.0.1' },
      issuer: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'client-ca': { type: 'string' },
      clients: { type: 'string' },
      'token-ttl': { type: 'string', default: '300' },
      audience: { type: 'string', default: 'https://resource.localhost' },
      'fixtures-dir': { type: 'string' },
      'trusted-proxy': { type: 'string', multiple: true, default: [] },
      'proxy-format': { type: 'string', default: 'nginx' },
      'mtls-alias': { type: 'string' },
      redis: { type: 'string' },
      'signing-key': { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw invalidOption('--port', 'must be a port number from 0 to 65535');
  const tokenTtl = Number(values['token-ttl']);
  if (!Number.isInteger(tokenTtl) || tokenTtl < 1) throw invalidOption('--token-ttl', 'must be a positive whole number of seconds');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw invalidOption(values['tls-cert'] === undefined ? '--tls-cert' : '--tls-key', '--tls-cert and --tls-key go together; give both or neither');
  }
  return {
    port,
    host: values.host,
    issuer: values.issuer,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    clientCa: values['client-ca'],
    clients: values.clients,
    tokenTtl,
    audience: values.audience,
    fixturesDir: values['fixtures-dir'],
    trustedProxies: values['trusted-proxy'],
    proxyFormat: values['proxy-format'],
    mtlsAlias: values['mtls-alias'],
    redis: values.redis,
    signingKey: values['signing-key'],
    profile: validateProfile(values.profile),
  };
}

/** `--port 0`: ask the OS for a free port first, because the issuer URL must name the port. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function readSigningKey(file: string): Promise<JWK | string> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw invalidOption('--signing-key', `cannot read ${file}: ${error.message}`);
  });
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return text;
  try {
    return JSON.parse(trimmed) as JWK;
  } catch {
    throw invalidOption('--signing-key', `${file} is neither a JSON private JWK nor a PEM private key`);
  }
}

/**
 * `--redis`: the official `redis` client, loaded only when asked for (the library itself takes
 * any client through a structural type and has no Redis dependency).
 */
async function connectRedis(url: string): Promise<{ client: RedisCommandClient; close(): Promise<void> }> {
  let redisModule: typeof import('redis');
  try {
    redisModule = await import('redis');
  } catch {
    throw invalidOption('--redis', 'needs the "redis" package: npm install redis');
  }
  const client = redisModule.createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(retries * 100, 2000) } });
  // Connection errors are reported by the stores' events (fail closed); keep the process alive.
  client.on('error', () => {});
  await client.connect().catch((error: Error) => {
    throw invalidOption('--redis', `cannot connect to ${url}: ${error.message}`);
  });
  return {
    client: { sendCommand: (args) => client.sendCommand(args) },
    close: async () => {
      await client.quit().catch(() => undefined);
    },
  };
}

async function readClients(file: string): Promise<ClientMetadata[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw invalidOption('--clients', `could not read a JSON array of client metadata from ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw invalidOption('--clients', `${file} must contain a JSON array of client metadata objects`);
  return parsed as ClientMetadata[];
}

function curlCommands(fixtures: FixtureSet, clients: readonly DemoClient[], issuer: string, tokenUrl: string, bindEveryToken: boolean): string {
  const ca = `--cacert ${fixtures.files.caCertificate}`;
  // Under fapi2 every token is certificate-bound, so the private_key_jwt client presents a certificate too.
  const bindingIdentity = clients.find((client) => client.files.certificatePem && client.metadata.token_endpoint_auth_method === 'tls_client_auth');
  const bindingFlags = bindEveryToken && bindingIdentity ? ` --cert ${bindingIdentity.files.certificatePem} --key ${bindingIdentity.files.privateKeyPem}` : '';
  const lines: string[] = [];
  for (const client of clients) {
    const { client_id: clientId, token_endpoint_auth_method: method } = client.metadata;
    lines.push(`# ${clientId} (${method})`);
    switch (method) {
      case 'private_key_jwt':
        lines.push(
          `curl ${ca}${bindingFlags} ${tokenUrl} -d grant_type=client_credentials \\\n` +
            `  -d client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer \\\n` +
            `  -d "client_assertion=$(npm run -s assertion -- --key ${client.files.privateKeyJwk} --client-id ${clientId} --audience ${issuer})"`,
        );
        break;
      case 'client_secret_basic':
        lines.push(`curl ${ca} ${tokenUrl} -u '${clientId}:${client.clientSecret}' -d grant_type=client_credentials`);
        break;
      case 'client_secret_post':
        lines.push(`curl ${ca} ${tokenUrl} -d grant_type=client_credentials -d client_id=${clientId} -d client_secret=${client.clientSecret}`);
        break;
      default:
        lines.push(
          `curl ${ca} --cert ${client.files.certificatePem} --key ${client.files.privateKeyPem} ${tokenUrl} \\\n` +
            `  -d grant_type=client_credentials -d client_id=${clientId}`,
        );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * `serve`: a real HTTPS token endpoint on the fastify adapter. Fixtures are generated only for
 * what the options leave out, into a directory of this process's own, so several servers started
 * at once never overwrite each other's files.
 */
export async function runServeCommand(argv: readonly string[]): Promise<number> {
  const args = parseServeArguments(argv);
  if (args === 'help') {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const port = args.port === 0 ? await freePort(args.host) : args.port;
  const issuer = args.issuer ?? `https://localhost:${port}`;

  const needsFixtures = args.tlsCert === undefined || args.clientCa === undefined || args.clients === undefined;
  const fixtures = needsFixtures
    ? await generateFixtureSet(args.fixturesDir ?? (await mkdtemp(join(tmpdir(), 'm2m-serve-'))), {
        serverHostnames: ['localhost', ...(/^[\d.:]+$/.test(args.host) || args.host === 'localhost' ? [] : [args.host])],
      })
    : undefined;

  const tlsCert = await readFile(args.tlsCert ?? (fixtures as FixtureSet).files.serverCertificate, 'utf8');
  const tlsKey = await readFile(args.tlsKey ?? (fixtures as FixtureSet).files.serverKey, 'utf8');
  // Under a profile, the generated demo registry holds only the clients the profile allows.
  const demoClients = fixtures?.clients.filter((client) => args.profile !== 'fapi2' || FAPI2_AUTH_METHODS.includes(client.metadata.token_endpoint_auth_method)) ?? [];
  const clients = args.clients ? await readClients(args.clients) : demoClients.map((client) => client.metadata);
  const trustAnchors = await readFile(args.clientCa ?? (fixtures as FixtureSet).files.caCertificate, 'utf8');

  const signingKey = args.signingKey ? await readSigningKey(args.signingKey) : generateSigningKey('ES256');
  const redis = args.redis ? await connectRedis(args.redis) : undefined;

  const endpoint = createTokenEndpoint({
    ...(args.profile ? { profile: args.profile } : {}),
    issuer,
    clients,
    signingKeys: [{ privateKey: signingKey }],
    ...(redis
      ? {
          replayStore: createRedisReplayStore({ client: redis.client }),
          revocationStore: createRedisRevocationStore({ client: redis.client }),
          throttle: { store: createRedisThrottleStore({ client: redis.client }) },
        }
      : {}),
    accessTokenTtl: args.tokenTtl,
    defaultAudience: args.audience,
    mtls: {
      trustAnchors,
      ...(args.trustedProxies.length > 0
        ? { trustedProxies: args.trustedProxies, proxyCertificateSource: { format: args.proxyFormat } as ProxyCertificateSource }
        : {}),
      ...(args.mtlsAlias ? { endpointAliases: { token_endpoint: args.mtlsAlias } } : {}),
    },
    onEvent: (event) => process.stdout.write(`${JSON.stringify({ event })}\n`),
  });

  const app = Fastify({
    https: { cert: tlsCert, key: tlsKey, requestCert: true, rejectUnauthorized: false },
    // Our events are the access log; fastify's own request log would repeat them.
    logger: false,
  });
  await app.register(tokenEndpoint, { endpoint });
  await app.listen({ port, host: args.host });

  const tokenUrl = `${issuer}${endpoint.paths.token.slice(new URL(issuer).pathname.replace(/\/$/, '').length)}`;
  process.stdout.write(
    [
      `m2m-token-endpoint listening on https://${args.host.includes(':') ? `[${args.host}]` : args.host}:${port}`,
      `issuer:    ${issuer}`,
      `metadata:  ${new URL(issuer).origin}${endpoint.paths.metadata}`,
      `token:     ${tokenUrl}`,
      ...(args.profile ? [`profile:   ${args.profile}`] : []),
      ...(fixtures
        ? [`fixtures:  ${fixtures.directory}`, '', 'Get a token (run from the repository directory):', '', curlCommands(fixtures, demoClients, issuer, tokenUrl, args.profile === 'fapi2')]
        : []),
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void app
        .close()
        .then(() => redis?.close())
        .then(() => resolve());
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}
