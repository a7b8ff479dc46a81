/**
 * The README's first promise: `npm run serve` prints one curl command per demo client, and each
 * one, pasted into a shell in the repository directory, gets a token. The commands are taken from
 * the real process's stdout exactly as printed (backslash-newline continuations, the
 * `$(npm run -s assertion -- …)` substitution) and run with `bash -c`.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY, type ServeProcess, startServe, stopServe, waitForOutput } from './serve-process.js';

const HAS_CURL = spawnSync('curl', ['--version']).status === 0;

const DEMO_CLIENTS = [
  ['demo-private-key-jwt', 'private_key_jwt'],
  ['demo-client-secret-basic', 'client_secret_basic'],
  ['demo-client-secret-post', 'client_secret_post'],
  ['demo-tls-client-auth-dn', 'tls_client_auth'],
  ['demo-tls-client-auth-san', 'tls_client_auth'],
  ['demo-self-signed', 'self_signed_tls_client_auth'],
] as const;

interface PrintedCommand {
  readonly clientId: string;
  readonly method: string;
  /** The command text as printed, continuation lines included. */
  readonly command: string;
}

/** Each `# client (method)` header and the command lines under it, up to the blank line that ends the block. */
function parsePrintedCommands(output: string): PrintedCommand[] {
  const start = output.indexOf('Get a token (run from the repository directory):');
  if (start < 0) return [];
  const commands: PrintedCommand[] = [];
  for (const match of output.slice(start).matchAll(/^# (\S+) \((\S+)\)\n((?:[^\n]+\n)+)\n/gm)) {
    commands.push({ clientId: match[1] as string, method: match[2] as string, command: (match[3] as string).replace(/\n$/, '') });
  }
  return commands;
}

function runInBash(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', command], { cwd: REPOSITORY, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(!HAS_CURL)('the curl commands `serve` prints', () => {
  let serve: ServeProcess | undefined;
  let fixturesDir: string;
  let printed: PrintedCommand[] = [];

  beforeAll(async () => {
    fixturesDir = await mkdtemp(join(tmpdir(), 'm2m-interop-curl-'));
    serve = await startServe(['--fixtures-dir', fixturesDir]);
    await waitForOutput(serve, (output) => parsePrintedCommands(output).length >= DEMO_CLIENTS.length);
    printed = parsePrintedCommands(serve.output);
  });
  afterAll(async () => {
    // SIGTERM stops `serve` cleanly (exit code 0).
    if (serve) expect(await stopServe(serve)).toBe(0);
  });

  it('prints the fixtures directory and one command per demo client', () => {
    expect(serve?.output).toContain(`fixtures:  ${fixturesDir}\n`);
    expect(printed.map(({ clientId, method }) => [clientId, method])).toEqual(DEMO_CLIENTS);
    // The private_key_jwt command is multi-line and mints its assertion in a command substitution.
    const assertionCommand = printed.find((entry) => entry.method === 'private_key_jwt')?.command ?? '';
    expect(assertionCommand).toContain(' \\\n  -d ');
    expect(assertionCommand).toContain('$(npm run -s assertion -- --key ');
  });

  it.each(DEMO_CLIENTS)('%s (%s): the printed command, run as is, gets an access token', async (clientId, method) => {
    const entry = printed.find((candidate) => candidate.clientId === clientId);
    expect(entry, `no command printed for ${clientId}`).toBeDefined();
    const result = await runInBash(String(entry?.command));
    expect(result.code, result.stderr).toBe(0);

    const response = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(response, result.stdout).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'demo:read demo:write' });
    const accessToken = String(response.access_token);
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt');
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ iss: `https://localhost:${serve?.port}`, client_id: clientId, sub: clientId, aud: 'https://resource.localhost' });

    if (method.endsWith('tls_client_auth')) {
      const leaf = new X509Certificate(await readFile(join(fixturesDir, `${clientId}.cert.pem`), 'utf8'));
      expect(claims.cnf).toEqual({ 'x5t#S256': createHash('sha256').update(leaf.raw).digest('base64url') });
    } else {
      expect(claims.cnf).toBeUndefined();
    }
  });
});
