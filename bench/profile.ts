/**
 * CPU profiles (`node --cpu-prof`) of the request path, one per scenario, with the top self-time
 * functions of the measured window (startup and warm-up left out).
 *
 *   node --import tsx bench/profile.ts [--seconds 5] [--top 15] [--source | --lib-src DIR] [scenario ...]
 *       the core handler, in-process, one request at a time (every scenario by default)
 *   node --import tsx bench/profile.ts --https [--seconds 5] [--top 15] [fastify|node|oidc-provider ...]
 *       an HTTPS server under the load generator (concurrency 16): pkjwt-es256 and mtls-dn
 *
 * Profiles land in $TMPDIR/m2m-bench-profiles/<name>.cpuprofile, or --out DIR (open them in Chrome
 * DevTools).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadResult } from './children/loadgen.js';
import { startChild } from './lib/child.js';
import { selfTimes } from './lib/cpu-profile.js';
import { SCENARIOS, type Scenario, generateFixtures, writeFixtures } from './lib/fixtures.js';
import { compileLibrary } from './lib/lib.js';
import { HTTPS_SCENARIOS, SERVERS } from './lib/modes.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'string' }, top: { type: 'string' }, out: { type: 'string' }, source: { type: 'boolean' }, https: { type: 'boolean' }, 'lib-src': { type: 'string' } },
});
const seconds = Number(values.seconds ?? 5);
const top = Number(values.top ?? 15);
const outDir = resolve(values.out ?? join(tmpdir(), 'm2m-bench-profiles'));
mkdirSync(outDir, { recursive: true });

const fixturesFile = writeFixtures(await generateFixtures());
// Profile the library as it ships (compiled), unless --source: see bench/lib/lib.ts.
const libraryDir = values.source ? undefined : await compileLibrary(values['lib-src'] === undefined ? undefined : resolve(values['lib-src']));
if (libraryDir) process.env.M2M_BENCH_LIB = libraryDir;
process.on('exit', () => {
  if (libraryDir) rmSync(libraryDir, { recursive: true, force: true });
  rmSync(dirname(fixturesFile), { recursive: true, force: true });
});

function report(name: string, temp: string, window: { start: number; end: number; requests: number; seconds: number }): void {
  const file = readdirSync(temp).find((entry) => entry.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${name}: no profile written`);
  const target = join(outDir, `${name}.cpuprofile`);
  renameSync(join(temp, file), target);
  rmSync(temp, { recursive: true, force: true });
  // Sample times are CLOCK_MONOTONIC µs, the clock of process.hrtime in every process.
  const summary = selfTimes(target, root, { windowMicros: [window.start, window.end] });
  console.log(
    `\n### ${name} — ${window.requests.toLocaleString('en-US')} requests in ${window.seconds.toFixed(1)} s ` +
      `(${Math.round(window.requests / window.seconds).toLocaleString('en-US')} req/s while profiled); ${(summary.totalMs / 1000).toFixed(1)} s sampled` +
      (summary.excludedMs > 0 ? `, ${(summary.excludedMs / 1000).toFixed(1)} s in the bench's own code (signing assertions, building requests) left out` : ''),
  );
  console.log('| self % | self ms | function | location |');
  console.log('| ---: | ---: | --- | --- |');
  for (const entry of summary.functions.slice(0, top)) {
    console.log(`| ${(entry.share * 100).toFixed(1)} | ${entry.selfMs.toFixed(0)} | ${entry.name} | ${entry.location} |`);
  }
}

function freshTemp(name: string): string {
  const temp = join(outDir, `.tmp-${name}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp);
  return temp;
}

if (values.https) {
  const servers = (positionals.length > 0 ? positionals : ['fastify', 'node']) as (typeof SERVERS)[number][];
  for (const server of servers) if (!SERVERS.includes(server)) throw new Error(`unknown server ${server}`);
  const loadgen = await startChild('loadgen', 'loadgen.ts', ['--fixtures', fixturesFile]);
  try {
    for (const server of servers) {
      for (const scenario of HTTPS_SCENARIOS) {
        const name = `https-${server}-${scenario}`;
        const temp = freshTemp(name);
        const child = await startChild(server, 'server.ts', ['--fixtures', fixturesFile, '--kind', server], ['--cpu-prof', '--cpu-prof-dir', temp]);
        const port = await child.call<number>('port');
        const run = (durationMs: number) =>
          loadgen.call<LoadResult>('run', { port, scenario, concurrency: 16, warmupMs: 0, durationMs, maxRequests: Math.ceil((durationMs / 1000) * 12_000) }, durationMs + 120_000);
        await run(2000);
        const result = await run(seconds * 1000);
        await child.close(); // writes the profile on exit
        // The load generator's own window: its assertion signing beforehand is not the server's idle time.
        const [start, end] = result.windowMicros;
        report(name, temp, { start, end, requests: result.completed, seconds: result.seconds });
      }
    }
  } finally {
    await loadgen.close();
  }
} else {
  const scenarios = (positionals.length > 0 ? positionals : SCENARIOS) as Scenario[];
  for (const scenario of scenarios) if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario}`);
  for (const scenario of scenarios) {
    const temp = freshTemp(scenario);
    const windowFile = join(temp, 'window.json');
    await new Promise<void>((done, fail) => {
      const child = spawn(
        process.execPath,
        ['--cpu-prof', '--cpu-prof-dir', temp, '--import', 'tsx', join(here, 'children', 'profile-target.ts'), fixturesFile, scenario, String(seconds), windowFile],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${scenario}: profile child exited ${code}`))));
    });
    const window = JSON.parse(readFileSync(windowFile, 'utf8')) as { start: number; end: number; requests: number; seconds: number };
    rmSync(windowFile);
    report(scenario, temp, window);
  }
}
