import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertionTypeUrn, signClientAssertion } from '../../src/testing/assertions.js';
import { type FixtureSet, generateFixtureSet } from '../../src/testing/fixture-set.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import { FORM_CONTENT_TYPE, formBody, httpsRequest } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { HAS_REDIS, type RedisServer, startRedisServer } from '../helpers/redis.js';

const ISSUER = 'https://as.serve-cluster.test';
const REPOSITORY = new URL('../..', import.meta.url).pathname;

interface ServeProcess {
  readonly origin: string;
  readonly child: ChildProcess;
  output: string;
}

/** `serve` exactly as a user runs it (`npm run serve -- …` is `tsx src/cli/main.ts serve …`). */
async function startServe(args: string[]): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port), ...args], {
    cwd: REPOSITORY,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serve: ServeProcess = { origin: `https://127.0.0.1:${port}`, child, output: '' };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${serve.output}`)), 20_000);
    const collect = (chunk: Buffer): void => {
      serve.output += chunk.toString();
      if (serve.output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${serve.output}`));
    });
  });
  return serve;
}

function stopServe(serve: ServeProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (serve.child.exitCode !== null) {
      resolve(serve.child.exitCode);
      return;
    }
    serve.child.once('exit', (code) => resolve(code));
    serve.child.kill('SIGTERM');
  });
}

describe.skipIf(!HAS_REDIS)('serve --redis: two processes behind one issuer share replay and revocation state', () => {
  let redis: RedisServer;
  let fixtures: FixtureSet;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const directory = await mkdtemp(join(tmpdir(), 'm2m-serve-cluster-'));
    fixtures = await generateFixtureSet(directory);
    const signingKeyFile = join(directory, 'signing-key.json');
    await writeFile(signingKeyFile, JSON.stringify(generateSigningKey()));
    const common = [
      '--issuer', ISSUER,
      '--tls-cert', fixtures.files.serverCertificate,
      '--tls-key', fixtures.files.serverKey,
      '--client-ca', fixtures.files.caCertificate,
      '--clients', fixtures.files.clients,
      '--signing-key', signingKeyFile,
      '--redis', redis.url,
    ];
    servers.push(...(await Promise.all([startServe(common), startServe(common)])));
  });
  afterAll(async () => {
    for (const serve of servers) await stopServe(serve);
    await redis?.stop();
  });

  const post = (serve: ServeProcess, path: string, parameters: Record<string, string>) =>
    httpsRequest(`${serve.origin}${path}`, { body: formBody(parameters), headers: FORM_CONTENT_TYPE, ca: fixtures.pki.trustAnchorsPem });
  const secretClient = () => {
    const client = fixtures.clients.find((candidate) => candidate.metadata.token_endpoint_auth_method === 'client_secret_post');
    if (!client?.clientSecret) throw new Error('no client_secret_post demo client');
    return { client_id: client.metadata.client_id, client_secret: client.clientSecret };
  };

  it('accepts one assertion once in total across both processes', async () => {
    const demo = fixtures.clients.find((client) => client.metadata.token_endpoint_auth_method === 'private_key_jwt');
    const privateJwk = JSON.parse(await readFile(String(demo?.files.privateKeyJwk), 'utf8')) as JWK;
    const assertion = await signClientAssertion({ clientId: 'demo-private-key-jwt', audience: ISSUER, privateKey: privateJwk, kid: String(privateJwk.kid) });
    const parameters = { grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: assertion };
    const responses = await Promise.all(Array.from({ length: 20 }, (_, index) => post(servers[index % 2] as ServeProcess, '/token', parameters)));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.json.error === 'invalid_client')).toHaveLength(19);
  });

  it('a token from one process introspects on the other (shared signing key), and a revocation on one holds on the other', async () => {
    const issued = await post(servers[0] as ServeProcess, '/token', { grant_type: 'client_credentials', ...secretClient() });
    const token = String(issued.json.access_token);
    expect((await post(servers[1] as ServeProcess, '/introspect', { token, ...secretClient() })).json.active).toBe(true);
    expect((await post(servers[1] as ServeProcess, '/revoke', { token, ...secretClient() })).status).toBe(200);
    expect((await post(servers[0] as ServeProcess, '/introspect', { token, ...secretClient() })).json).toEqual({ active: false });
  });

  it('SIGTERM stops each process cleanly (exit code 0)', async () => {
    const codes = await Promise.all(servers.map(stopServe));
    expect(codes).toEqual([0, 0]);
  });
});
