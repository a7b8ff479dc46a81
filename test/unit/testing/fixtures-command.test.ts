import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../../src/clients/metadata.js';
import { createTokenEndpoint } from '../../../src/core/token-endpoint.js';
import { generateSigningKey } from '../../../src/tokens/generate.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GENERATION_TIMEOUT = 120_000;

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node --import tsx src/cli/main.ts fixtures …`, as a user runs it. */
function fixtures(args: readonly string[]): Promise<RunResult> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'fixtures', ...args], { cwd: ROOT, timeout: GENERATION_TIMEOUT }).then(
    (result) => ({ code: 0, ...result }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
}

function openssl(args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

const hasKeytool = spawnSync('keytool', ['-help'], { encoding: 'utf8' }).error === undefined;
const hasCurl = spawnSync('curl', ['--version'], { encoding: 'utf8' }).error === undefined;

const CLIENT_IDS = ['demo-private-key-jwt', 'demo-client-secret-basic', 'demo-client-secret-post', 'demo-tls-client-auth-dn', 'demo-tls-client-auth-san', 'demo-self-signed'];

let work: string;
let out: string;
let run: RunResult;
const file = (name: string): string => join(out, name);
const read = (name: string): string => readFileSync(file(name), 'utf8');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'm2m-fixtures-command-'));
  out = join(work, 'set');
  run = await fixtures(['--out', out]);
}, GENERATION_TIMEOUT);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('m2m-token-endpoint fixtures --out DIR', () => {
  it('exits 0 and prints where the set is and the PKCS#12 password', () => {
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toContain(`Wrote the fixtures to ${out}`);
    expect(run.stdout).toContain('PKCS#12 password: changeit');
    expect(run.stdout).toContain(`npm run serve -- --tls-cert ${file('server.cert.pem')}`);
  });

  it('writes the PKI, every client credential (PEM and JWK), a PKCS#12 bundle, clients.json and README.md', () => {
    for (const name of [
      'ca.pem',
      'intermediate-ca.pem',
      'server.cert.pem',
      'server.key.pem',
      'clients.json',
      'README.md',
      'demo-private-key-jwt.key.json',
      'demo-private-key-jwt.key.pem',
      ...['demo-tls-client-auth-dn', 'demo-tls-client-auth-san', 'demo-self-signed'].flatMap((id) => [`${id}.cert.pem`, `${id}.key.pem`, `${id}.key.json`]),
      'demo-tls-client-auth-san.p12',
    ]) {
      expect(existsSync(file(name)), name).toBe(true);
    }
    // node-forge writes PKCS#12 for RSA keys only: the EC and Ed25519 identities stay PEM-only.
    expect(existsSync(file('demo-tls-client-auth-dn.p12'))).toBe(false);
    expect(existsSync(file('demo-self-signed.p12'))).toBe(false);
    // Not asked for: the known-answer vectors belong to the repository's own fixtures.
    expect(existsSync(file('known-answers.json'))).toBe(false);
    expect(statSync(file('server.key.pem')).mode & 0o077).toBe(0);
  });

  it('clients.json registers one client per method and is accepted by createTokenEndpoint as is', () => {
    const clients = JSON.parse(read('clients.json')) as ClientMetadata[];
    expect(clients.map((client) => client.client_id)).toEqual(CLIENT_IDS);
    // Secrets appear only as hashes.
    expect(read('clients.json')).not.toMatch(/"client_secret"/);
    expect(() =>
      createTokenEndpoint({ issuer: 'https://localhost:8443', clients, signingKeys: [{ privateKey: generateSigningKey() }], mtls: { trustAnchors: read('ca.pem') } }),
    ).not.toThrow();
  });

  it('each PEM key and its JWK are the same key, and private_key_jwt holds the registered public key', () => {
    for (const id of ['demo-private-key-jwt', 'demo-tls-client-auth-dn', 'demo-tls-client-auth-san', 'demo-self-signed']) {
      const jwk = JSON.parse(read(`${id}.key.json`)) as JWK;
      const fromPem = createPrivateKey(read(`${id}.key.pem`)).export({ format: 'jwk' });
      expect(fromPem.d, id).toBe(jwk.d);
    }
    const jwk = JSON.parse(read('demo-private-key-jwt.key.json')) as JWK;
    const registered = (JSON.parse(read('clients.json')) as ClientMetadata[])[0]?.jwks?.keys[0];
    expect(registered).toMatchObject({ kid: jwk.kid, alg: 'ES256', x: jwk.x, y: jwk.y });
    expect(registered).not.toHaveProperty('d');
    // Each certificate carries its own key.
    for (const id of ['demo-tls-client-auth-dn', 'demo-tls-client-auth-san', 'demo-self-signed']) {
      const certificate = new X509Certificate(read(`${id}.cert.pem`));
      expect(certificate.checkPrivateKey(createPrivateKey(read(`${id}.key.pem`))), id).toBe(true);
    }
  });

  it('openssl pkcs12 -info reads the .p12 with the printed password (3DES key bag, certificate and intermediate)', () => {
    const info = openssl(['pkcs12', '-info', '-in', file('demo-tls-client-auth-san.p12'), '-passin', 'pass:changeit', '-noout']);
    expect(info.ok, info.output).toBe(true);
    expect(info.output).toMatch(/pbeWithSHA1And3-KeyTripleDES-CBC/);
    expect(info.output.match(/Certificate bag/g)).toHaveLength(2);
    expect(openssl(['pkcs12', '-info', '-in', file('demo-tls-client-auth-san.p12'), '-passin', 'pass:wrong', '-noout']).ok).toBe(false);

    // The bundled certificate and key are the PEM ones.
    const dump = openssl(['pkcs12', '-in', file('demo-tls-client-auth-san.p12'), '-passin', 'pass:changeit', '-nodes']);
    const leaf = dump.output.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0] ?? '';
    expect(new X509Certificate(leaf).fingerprint256).toBe(new X509Certificate(read('demo-tls-client-auth-san.cert.pem')).fingerprint256);
    const key = dump.output.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/)?.[0] ?? '';
    expect(createPublicKey(key).export({ format: 'jwk' }).n).toBe(createPublicKey(read('demo-tls-client-auth-san.key.pem')).export({ format: 'jwk' }).n);
  });

  it.skipIf(!hasKeytool)('Java keytool lists the .p12 as a private-key entry with its chain', () => {
    const result = spawnSync('keytool', ['-list', '-v', '-keystore', file('demo-tls-client-auth-san.p12'), '-storetype', 'PKCS12', '-storepass', 'changeit'], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/Alias name: demo-tls-client-auth-san/);
    expect(result.stdout).toMatch(/Entry type: PrivateKeyEntry/);
    expect(result.stdout).toMatch(/Certificate chain length: 2/);
  }, 60_000);

  it('openssl verify: the client and server certificates chain to ca.pem through intermediate-ca.pem', () => {
    for (const [name, purpose] of [
      ['demo-tls-client-auth-dn.cert.pem', 'sslclient'],
      ['demo-tls-client-auth-san.cert.pem', 'sslclient'],
      ['server.cert.pem', 'sslserver'],
    ] as const) {
      const leafPem = read(name).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0] ?? '';
      const leafFile = join(work, `leaf-${name}`);
      writeFileSync(leafFile, `${leafPem}\n`);
      const verified = openssl(['verify', '-purpose', purpose, '-CAfile', file('ca.pem'), '-untrusted', file('intermediate-ca.pem'), leafFile]);
      expect(verified.ok, verified.output).toBe(true);
      // Without the intermediate there is no path: the root alone signed none of them.
      expect(openssl(['verify', '-CAfile', file('ca.pem'), leafFile]).ok).toBe(false);
    }
  });

  it('README.md lists every file and ready-to-paste serve and curl commands', () => {
    const readme = read('README.md');
    for (const name of ['ca.pem', 'intermediate-ca.pem', 'server.cert.pem', 'clients.json', 'demo-tls-client-auth-san.p12', 'demo-private-key-jwt.key.json']) {
      expect(readme).toContain(`\`${name}\``);
    }
    expect(readme).toContain(
      `npm run serve -- --tls-cert ${file('server.cert.pem')} --tls-key ${file('server.key.pem')} --client-ca ${file('ca.pem')} --clients ${file('clients.json')}`,
    );
    for (const id of CLIENT_IDS) expect(readme).toMatch(new RegExp(`curl .*client_id=${id}|curl .*-u ${id}:|--client-id ${id}`));
    expect(readme).toContain(`--cert-type P12 --cert ${file('demo-tls-client-auth-san.p12')}:changeit`);
    expect(readme).toContain('PKCS#12 password: `changeit`');
  });

  it('refuses to write into a non-empty directory without --force, and leaves it untouched', async () => {
    const before = read('clients.json');
    const refused = await fixtures(['--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not empty; refusing to overwrite it \(pass --force/);
    expect(read('clients.json')).toBe(before);
  });
});

describe('m2m-token-endpoint fixtures --force with options', () => {
  let forced: RunResult;
  let before: string;

  beforeAll(async () => {
    before = read('clients.json');
    forced = await fixtures([
      '--out', out, '--force',
      '--hostname', 'auth.example.test', '--hostname', '10.1.2.3',
      '--not-before', '2025-01-01T00:00:00Z', '--validity-days', '30',
      '--p12-password', 's3cret pass',
    ]);
  }, GENERATION_TIMEOUT);

  it('overwrites the set', () => {
    expect(forced, forced.stderr).toMatchObject({ code: 0 });
    expect(read('clients.json')).not.toBe(before);
    expect(forced.stdout).toContain('PKCS#12 password: s3cret pass');
  });

  it('--hostname, --not-before and --validity-days shape the server certificate', () => {
    const server = new X509Certificate(read('server.cert.pem'));
    expect(server.subjectAltName).toBe('DNS:auth.example.test, IP Address:10.1.2.3');
    expect(new Date(server.validFrom).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(new Date(server.validTo).toISOString()).toBe('2025-01-31T00:00:00.000Z');
    expect(new Date(new X509Certificate(read('ca.pem')).validFrom).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(read('README.md')).toContain('--issuer https://auth.example.test:8443');
  });

  it('--p12-password protects the bundle, and the README quotes it for the shell', () => {
    expect(openssl(['pkcs12', '-info', '-in', file('demo-tls-client-auth-san.p12'), '-passin', 'pass:s3cret pass', '-noout']).ok).toBe(true);
    expect(openssl(['pkcs12', '-info', '-in', file('demo-tls-client-auth-san.p12'), '-passin', 'pass:changeit', '-noout']).ok).toBe(false);
    expect(read('README.md')).toContain(`--cert '${file('demo-tls-client-auth-san.p12')}:s3cret pass'`);
  });
});

describe('m2m-token-endpoint fixtures: usage errors', () => {
  it('requires --out', async () => {
    const result = await fixtures([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--out: is required/);
  });

  it('refuses a bad --validity-days and --not-before', async () => {
    expect((await fixtures(['--out', join(work, 'x'), '--validity-days', '0'])).stderr).toMatch(/--validity-days: must be a positive whole number/);
    expect((await fixtures(['--out', join(work, 'x'), '--not-before', 'soon'])).stderr).toMatch(/--not-before: must be an ISO 8601 date/);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });
});

describe.skipIf(!hasCurl)('the README commands work: serve on the fixtures, curl with the PKCS#12 bundle', () => {
  let set: string;
  let serve: ChildProcess | undefined;
  let tokenUrl: string;

  beforeAll(async () => {
    set = join(work, 'e2e');
    const generated = await fixtures(['--out', set, '--p12-password', 'changeit']);
    expect(generated.code, generated.stderr).toBe(0);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0',
        '--tls-cert', join(set, 'server.cert.pem'), '--tls-key', join(set, 'server.key.pem'),
        '--client-ca', join(set, 'ca.pem'), '--clients', join(set, 'clients.json'), '--audience', 'https://api.example.test'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    serve = child;
    tokenUrl = await new Promise<string>((resolveUrl, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), GENERATION_TIMEOUT - 5000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        const match = output.match(/^token:\s+(\S+)$/m);
        if (match?.[1]) {
          clearTimeout(timer);
          resolveUrl(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}:\n${output}`)));
    });
  }, GENERATION_TIMEOUT * 2);

  afterAll(() => {
    if (serve?.pid !== undefined && serve.exitCode === null) serve.kill('SIGTERM');
  });

  function curl(args: readonly string[]): { status: number; body: Record<string, unknown> } {
    const result = spawnSync('curl', ['-sS', '--cacert', join(set, 'ca.pem'), '-w', '\n%{http_code}', ...args, tokenUrl, '-d', 'grant_type=client_credentials'], { encoding: 'utf8' });
    const lines = result.stdout.trimEnd().split('\n');
    const status = Number(lines.pop());
    return { status, body: lines.length > 0 ? (JSON.parse(lines.join('\n')) as Record<string, unknown>) : { stderr: result.stderr } };
  }

  it('a token for the RSA client presenting its .p12 (key, certificate and intermediate)', () => {
    const response = curl(['--cert-type', 'P12', '--cert', `${join(set, 'demo-tls-client-auth-san.p12')}:changeit`, '-d', 'client_id=demo-tls-client-auth-san']);
    expect(response, JSON.stringify(response.body)).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
  });

  it('a token for the EC client presenting its PEM certificate and key', () => {
    const response = curl(['--cert', join(set, 'demo-tls-client-auth-dn.cert.pem'), '--key', join(set, 'demo-tls-client-auth-dn.key.pem'), '-d', 'client_id=demo-tls-client-auth-dn']);
    expect(response, JSON.stringify(response.body)).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
  });
});
