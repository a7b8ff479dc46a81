/**
 * The tail of a request — everything but its signatures — per scenario: CPU µs per request with
 * node:crypto's sign and verify stubbed out, and bytes allocated per request. This is the part of
 * a request the library controls; docs/performance.md uses it to measure each change without the
 * signature's noise (the in-process ratio of `npm run bench` moves by ±0.04 from run to run).
 *
 *   node --import tsx bench/tail.ts [--rounds 7] [--requests 20000] [--lib-src DIR] [scenario ...]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SCENARIOS, generateFixtures, writeFixtures } from './lib/fixtures.js';
import { compileLibrary } from './lib/lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string' }, requests: { type: 'string' }, 'lib-src': { type: 'string' } },
});
const scenarios = positionals.length > 0 ? positionals : [...SCENARIOS];
for (const scenario of scenarios) if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`unknown scenario ${scenario}; use ${SCENARIOS.join(', ')}`);

const fixturesFile = writeFixtures(await generateFixtures());
const libraryDir = await compileLibrary(values['lib-src'] === undefined ? undefined : resolve(values['lib-src']));
try {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', resolve(here, 'children/tail-target.ts'), fixturesFile, values.rounds ?? '7', values.requests ?? '20000', ...scenarios],
    { env: { ...process.env, M2M_BENCH_LIB: libraryDir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`tail-target exited with ${child.status}`);
  console.log('| scenario | tail: CPU per request, signatures stubbed | allocated per request |');
  console.log('| --- | ---: | ---: |');
  for (const line of child.stdout.trim().split('\n')) {
    const { scenario, micros, bytes } = JSON.parse(line) as { scenario: string; micros: number; bytes: number | undefined };
    console.log(`| ${scenario} | ${micros.toFixed(1)} µs | ${bytes === undefined ? '—' : `${Math.round(bytes).toLocaleString('en-US')} B`} |`);
  }
} finally {
  rmSync(libraryDir, { recursive: true, force: true });
  rmSync(dirname(fixturesFile), { recursive: true, force: true });
}
