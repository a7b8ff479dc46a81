import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../helpers/ports.js';

/** The repository root: `serve` and the printed curl commands run from here. */
export const REPOSITORY = new URL('../..', import.meta.url).pathname;

export interface ServeProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process has written to stdout and stderr so far. */
  output: string;
}

/**
 * `serve` exactly as a user runs it (`npm run serve -- …` is `tsx src/cli/main.ts serve …`).
 * Resolves once "listening on" has been written; use `waitForOutput` for the rest of the banner.
 */
export async function startServe(args: readonly string[]): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port), ...args], {
    cwd: REPOSITORY,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const serve: ServeProcess = { port, child, output: '' };
  const collect = (chunk: Buffer): void => {
    serve.output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await waitForOutput(serve, (output) => output.includes('listening on'));
  return serve;
}

/** Waits until the process output satisfies `ready`; fails if the process exits or 45 s pass. */
export function waitForOutput(serve: ServeProcess, ready: (output: string) => boolean, timeoutMs = 45_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      serve.child.stdout?.off('data', check);
      serve.child.stderr?.off('data', check);
      serve.child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const check = (): void => {
      if (ready(serve.output)) finish();
    };
    const onExit = (code: number | null): void => finish(new Error(`serve exited with ${code}: ${serve.output}`));
    const timer = setTimeout(() => finish(new Error(`serve output incomplete after ${timeoutMs} ms: ${serve.output}`)), timeoutMs);
    // Listeners added after the collector's, so `serve.output` already holds the new chunk.
    serve.child.stdout?.on('data', check);
    serve.child.stderr?.on('data', check);
    serve.child.once('exit', onExit);
    if (ready(serve.output)) finish();
    else if (serve.child.exitCode !== null) onExit(serve.child.exitCode);
  });
}

export function stopServe(serve: ServeProcess | undefined): Promise<number | null> {
  return new Promise((resolve) => {
    if (!serve || serve.child.exitCode !== null || serve.child.signalCode !== null) {
      resolve(serve?.child.exitCode ?? null);
      return;
    }
    serve.child.once('exit', (code) => resolve(code));
    serve.child.kill('SIGTERM');
  });
}
