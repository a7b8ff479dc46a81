/**
 * The library under test. By default the bench measures compiled JavaScript, as it ships: the
 * orchestrator transpiles src/ once per run (`compileLibrary`, esbuild, no bundling, no minifying)
 * and children load that. With `--source` (or when M2M_BENCH_LIB is unset) the TypeScript
 * sources run through tsx instead — close, except that tsx wraps every function it creates in a
 * `__name()` call (esbuild keepNames), which shows in profiles of per-request closures.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SOURCE = new URL('../../src/', import.meta.url);
const base = process.env.M2M_BENCH_LIB ? pathToFileURL(`${process.env.M2M_BENCH_LIB}/`) : SOURCE;

const load = <T>(path: string): Promise<T> => import(new URL(path, base).href) as Promise<T>;

export const { createTokenEndpoint } = await load<typeof import('../../src/core/token-endpoint.js')>('core/token-endpoint.js');
export const { createMemoryReplayStore } = await load<typeof import('../../src/replay/memory-store.js')>('replay/memory-store.js');
export const { createRedisReplayStore } = await load<typeof import('../../src/redis/replay-store.js')>('redis/replay-store.js');
export const loadFastifyAdapter = () => load<typeof import('../../src/adapters/fastify.js')>('adapters/fastify.js');
export const loadNodeAdapter = () => load<typeof import('../../src/adapters/node.js')>('adapters/node.js');



/**
 * Transpiles every src/**\/*.ts file to ESM JavaScript in a new directory bench/.lib-XXXXXX;
 * returns it. `sourceDir` defaults to this checkout's src/; another tree (an older revision, a
 * variant with one change undone) gives an A/B comparison with the same bench.
 */
export async function compileLibrary(sourceDir = fileURLToPath(SOURCE)): Promise<string> {
  const { build } = await import('esbuild');
  const entryPoints: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) entryPoints.push(path);
    }
  };
  walk(sourceDir);
  // Inside the repository, so the compiled files resolve the same node_modules (removed after the run).
  const outdir = mkdtempSync(join(fileURLToPath(new URL('..', import.meta.url)), '.lib-'));
  await build({ entryPoints, outdir, outbase: sourceDir, format: 'esm', platform: 'node', target: 'node20', bundle: false, sourcemap: false, logLevel: 'error' });
  return outdir;
}
