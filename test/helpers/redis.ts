import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { freePort } from './ports.js';
import { createClient } from 'redis';
import type { RedisCommandClient } from '../../src/redis/client.js';

/** Redis tests run when `redis-server` is on PATH; `.ci/run` installs it, so CI always runs them. */
export const HAS_REDIS = spawnSync('redis-server', ['--version']).status === 0;

/** A real redis-server on a free loopback port, which a test can stop and start again on the same port. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A connected client of the official package, reconnecting by itself, errors swallowed (the stores report them). */
  connect(): Promise<{ client: RedisCommandClient; raw: ReturnType<typeof createClient>; close(): Promise<void> }>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const clients: ReturnType<typeof createClient>[] = [];

  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start within 5 s')), 5000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child?.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      await stop();
    },
    connect: async () => {
      const raw = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: (retries: number) => Math.min(50 + retries * 50, 500) } });
      raw.on('error', () => {});
      await raw.connect();
      clients.push(raw);
      return {
        client: { sendCommand: (args) => raw.sendCommand(args) },
        raw,
        close: async () => {
          await raw.quit().catch(() => raw.disconnect().catch(() => undefined));
        },
      };
    },
  };
}
