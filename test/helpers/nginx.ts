/**
 * A real nginx for integration tests, run from a temporary directory: its own prefix, config,
 * pid file, logs and temp files; a free port on 127.0.0.1. Never touches /etc/nginx, /var/log or
 * ports 80/443. `.ci/run` installs nginx, so CI always runs these tests.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { renderNginxConfig } from '../../examples/nginx/config.js';

/** `nginx` on PATH, else the usual sbin locations (Debian puts it in /usr/sbin, often not on a user's PATH). */
const CANDIDATES = ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/opt/homebrew/bin/nginx'];

interface NginxBinary {
  readonly path: string;
  /** `-e` (initial error log) exists since nginx 1.19.5. */
  readonly supportsErrorLogFlag: boolean;
}

function findNginx(): NginxBinary | undefined {
  for (const path of CANDIDATES) {
    if (path.startsWith('/') && !existsSync(path)) continue;
    const probe = spawnSync(path, ['-v'], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    // `nginx -v` prints "nginx version: nginx/1.22.1" on stderr.
    const match = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(`${probe.stderr}${probe.stdout}`);
    const version = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
    const [major = 0, minor = 0, patch = 0] = version;
    const supportsErrorLogFlag = major > 1 || (major === 1 && (minor > 19 || (minor === 19 && patch >= 5)));
    return { path, supportsErrorLogFlag };
  }
  return undefined;
}

const NGINX = findNginx();
export const HAS_NGINX = NGINX !== undefined;
export const NGINX_PATH = NGINX?.path;

/** True when this host can use `address` as a local source address (Linux routes all of 127/8 to lo; macOS does not). */
export function canBindLoopback(address: string): Promise<boolean> {
  return freePort(address).then(
    () => true,
    () => false,
  );
}

export interface StartNginxOptions {
  readonly serverCertificatePem: string;
  readonly serverKeyPem: string;
  /** PEM that verifies the server certificate, for the readiness probe. */
  readonly caPem: string;
  /** The library's plain-HTTP port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** Port to listen on (127.0.0.1). Default: a free one. */
  readonly port?: number | undefined;
  /** `proxy_bind` address (the source address nginx connects to the library from). Default `off`. */
  readonly proxyBind?: string | undefined;
}

export interface RunningNginx {
  /** `https://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** The temporary prefix (config, logs). */
  readonly directory: string;
  /** nginx's stderr/stdout and error.log so far, for assertion messages. */
  logs(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts nginx with examples/nginx/nginx.conf and waits until it completes a TLS handshake. */
export async function startNginx(options: StartNginxOptions): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx is not installed (looked on PATH and in /usr/sbin)');
  const directory = await mkdtemp(join(tmpdir(), 'm2m-nginx-test-'));
  const port = options.port ?? (await freePort());
  const serverCertificateFile = join(directory, 'server.cert.pem');
  const serverKeyFile = join(directory, 'server.key.pem');
  const configFile = join(directory, 'nginx.conf');
  await writeFile(serverCertificateFile, options.serverCertificatePem);
  await writeFile(serverKeyFile, options.serverKeyPem, { mode: 0o600 });
  await writeFile(
    configFile,
    await renderNginxConfig({
      prefix: directory,
      listenPort: port,
      serverCertificateFile,
      serverKeyFile,
      upstreamPort: options.upstreamPort,
      proxyBind: options.proxyBind,
    }),
  );

  const args = [
    '-p', `${directory}/`,
    '-c', configFile,
    ...(NGINX.supportsErrorLogFlag ? ['-e', 'stderr'] : []),
    // One process, in the foreground: nothing to reap, no privilege drop, no daemonising.
    '-g', 'daemon off; master_process off;',
  ];
  const child: ChildProcess = spawn(NGINX.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 64 * 1024) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A crashed test run must not leave nginx behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const logs = async (): Promise<string> => {
    const errorLog = await readFile(join(directory, 'error.log'), 'utf8').catch(() => '');
    return `nginx output:\n${output}\nerror.log:\n${errorLog}`;
  };
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      // SIGQUIT: graceful shutdown; SIGTERM, then SIGKILL, if it takes too long.
      child.kill('SIGQUIT');
      const escalate = setTimeout(() => child.kill('SIGTERM'), 3000);
      const last = setTimeout(() => child.kill('SIGKILL'), 6000);
      await exited;
      clearTimeout(escalate);
      clearTimeout(last);
    }
    await rm(directory, { recursive: true, force: true });
  };

  try {
    await waitForTls(port, options.caPem, exited, 10_000);
  } catch (error) {
    const detail = await logs();
    await stop();
    throw new Error(`${(error as Error).message}\n${detail}`);
  }
  return { origin: `https://127.0.0.1:${port}`, port, directory, logs, stop };
}

/** Polls until a TLS handshake with the server on `port` succeeds (certificate verified), or nginx exits. */
async function waitForTls(port: number, caPem: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`nginx exited with ${exitCode} before accepting connections`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }, () => {
        socket.end();
        resolve(true);
      });
      socket.setTimeout(1000, () => {
        lastError = 'handshake timed out';
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error) => {
        lastError = error.message;
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not accept TLS on 127.0.0.1:${port} within ${timeoutMs} ms (${lastError})`);
}
