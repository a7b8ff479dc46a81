/**
 * A tiny request/response protocol over the IPC channel of `child_process.fork`, so each
 * measured thing (a server, the load generator, a registry size) lives in its own process with
 * its own heap and GC, and the orchestrator alternates between them round by round.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Handler = (argument: never) => unknown;

interface Request {
  readonly id: number;
  readonly command: string;
  readonly argument: unknown;
}
interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  call<T>(command: string, argument?: unknown, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Every child runs TypeScript through tsx, like the CLI; `execArgv` adds node flags (--expose-gc, --cpu-prof, …). */
export async function startChild(name: string, script: string, args: readonly string[] = [], execArgv: readonly string[] = [], readyTimeoutMs = 120_000): Promise<ChildHandle> {
  const child: ChildProcess = fork(fileURLToPath(new URL(`../children/${script}`, import.meta.url)), [...args], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let exited = false;
  child.on('message', (message: Reply) => {
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.ok) entry.resolve(message.value);
    else entry.reject(new Error(`${name}: ${message.error}`));
  });
  child.on('exit', (code, signal) => {
    exited = true;
    for (const entry of pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`${name} exited (${code ?? signal})`));
    }
    pending.clear();
  });
  const call = <T>(command: string, argument?: unknown, timeoutMs = 300_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) {
        reject(new Error(`${name} is not running`));
        return;
      }
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}: ${command} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      child.send({ id, command, argument } satisfies Request);
    });
  await call('ready', undefined, readyTimeoutMs);
  return {
    name,
    pid: child.pid as number,
    call,
    close: () =>
      new Promise<void>((resolve) => {
        if (exited) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Child side: answers the orchestrator's commands; `ready` resolves once setup is done. */
export function serveCommands(handlers: Record<string, Handler>, setup: Promise<unknown> = Promise.resolve()): void {
  const all: Record<string, Handler> = { ready: () => setup.then(() => true), ...handlers };
  process.on('message', (message: Request) => {
    const handler = all[message.command];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${message.command}`);
        return handler(message.argument as never);
      })
      .then(
        (value) => process.send?.({ id: message.id, ok: true, value } satisfies Reply),
        (error: unknown) => process.send?.({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Reply),
      );
  });
  // The orchestrator going away ends the child too: no stray load after a crash.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
