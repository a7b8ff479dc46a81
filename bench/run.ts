/**
 * `npm run bench [-- --quick | --smoke] [--out FILE] [--only SECTIONS] [--source | --lib-src DIR]`
 *
 * Prints one Markdown table. Every figure is a median over rounds; in each round the things
 * compared run one after the other (ceiling vs handler, our servers vs oidc-provider, registry
 * sizes, memory vs redis), and ratios are taken round by round, then their median: on a shared,
 * noisy machine the ratios are the result, not the absolute rates.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadResult } from './children/loadgen.js';
import type { PairRequest, PairResult, RoundRequest, RoundResult } from './children/inprocess.js';
import { type ChildHandle, startChild } from './lib/child.js';
import { compileLibrary } from './lib/lib.js';
import { PKJWT_ALG, SCENARIOS, type Scenario, generateFixtures, writeFixtures } from './lib/fixtures.js';
import { CEILING_TARGETS, GROWTH_SCENARIOS, HTTPS_SCENARIOS, MODES, type Mode, type ModeName, SERVERS, expectedRows } from './lib/modes.js';
import { formatBytes, formatInteger, formatMs, formatRatio, median, rotate, signed } from './lib/stats.js';
import { HAS_REDIS, startRedisServer } from '../test/helpers/redis.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, smoke: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' }, source: { type: 'boolean' }, 'lib-src': { type: 'string' } },
});
/** `--only in-process,https,growth,memory,redis`: a subset of sections, for iterating on one of them. */
const SECTIONS = ['in-process', 'https', 'growth', 'memory', 'redis'] as const;
const only = new Set((values.only ?? SECTIONS.join(',')).split(',').map((name) => name.trim()));
for (const name of only) if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section ${name}; use ${SECTIONS.join(', ')}`);
const wanted = (section: (typeof SECTIONS)[number]): boolean => only.has(section);
const modeName: ModeName = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
const mode: Mode = MODES[modeName];
const startedAt = Date.now();
const log = (message: string): void => {
  process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
};

interface Row {
  readonly section: string;
  readonly scenario: string;
  readonly result: string;
  readonly ratio: string;
  readonly target: string;
  readonly status: 'met' | 'missed' | '';
}
const rows: Row[] = [];
const row = (section: string, scenario: string, result: string, ratio = '', target = '', status: Row['status'] = ''): void => {
  rows.push({ section, scenario, result, ratio, target, status });
};
const verdict = (ok: boolean): Row['status'] => (ok ? 'met' : 'missed');
const rate = (result: { count?: number; completed?: number; seconds: number }): number => (result.count ?? result.completed ?? 0) / result.seconds;

// ----------------------------------------------------------------------------------------------
// Machine and processes
// ----------------------------------------------------------------------------------------------

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return (match[1] as string).trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** A real redis-server on a free loopback port (the test suite's launcher), or `undefined` when none starts. */
async function startRedis(): Promise<{ port: number; stop: () => Promise<void> } | undefined> {
  if (!HAS_REDIS) return undefined;
  try {
    return await startRedisServer();
  } catch {
    return undefined;
  }
}

// ----------------------------------------------------------------------------------------------
// Sections
// ----------------------------------------------------------------------------------------------

function maxFor(scenario: Scenario): number {
  const alg = PKJWT_ALG[scenario];
  return alg === 'PS256' || alg === 'RS256' ? mode.inProcess.maxRsa : mode.inProcess.maxFast;
}

/** JIT and caches warm before round 1: short untimed runs of every scenario in each child. */
async function warmup(children: readonly (ChildHandle | undefined)[], scenarios: readonly Scenario[]): Promise<void> {
  const ms = mode.name === 'smoke' ? 30 : mode.name === 'quick' ? 200 : 500;
  for (const child of children) {
    if (child) await child.call('warmup', { scenarios, ms, max: mode.inProcess.maxRsa * 4 });
  }
}

/** Requests per CPU-second of the measuring process: immune to time other processes take from it. */
const perCpuSecond = (result: RoundResult): number => result.count / result.cpuSeconds;

async function ceilingAndInProcess(child: ChildHandle): Promise<void> {
  const ceilings = new Map<Scenario, number[]>();
  const endpoints = new Map<Scenario, number[]>();
  const ratios = new Map<Scenario, number[]>();
  const errors = new Map<Scenario, number>();
  const push = (map: Map<Scenario, number[]>, scenario: Scenario, value: number): void => {
    map.set(scenario, [...(map.get(scenario) ?? []), value]);
  };
  for (let round = 0; round < mode.inProcess.rounds; round++) {
    log(`in-process round ${round + 1}/${mode.inProcess.rounds}`);
    for (const scenario of rotate(SCENARIOS, round)) {
      const pair = await child.call<PairResult>('pair', { scenario, sliceMs: mode.inProcess.sliceMs, slices: mode.inProcess.slices, max: maxFor(scenario) } satisfies PairRequest);
      if (pair.endpoint.errors > 0) log(`  ${scenario}: ${pair.endpoint.errors} errors, first: ${pair.endpoint.firstError}`);
      errors.set(scenario, (errors.get(scenario) ?? 0) + pair.endpoint.errors);
      push(ceilings, scenario, perCpuSecond(pair.ceiling));
      push(endpoints, scenario, perCpuSecond(pair.endpoint));
      push(ratios, scenario, perCpuSecond(pair.endpoint) / perCpuSecond(pair.ceiling));
    }
  }
  for (const scenario of SCENARIOS) row('crypto ceiling', scenario, `${formatInteger(median(ceilings.get(scenario) ?? []))} req/CPU-s`);
  for (const scenario of SCENARIOS) {
    const ratio = median(ratios.get(scenario) ?? []);
    const failures = errors.get(scenario) ?? 0;
    const targeted = CEILING_TARGETS.has(scenario);
    row(
      'in-process',
      scenario,
      `${formatInteger(median(endpoints.get(scenario) ?? []))} req/CPU-s${failures > 0 ? ` · ${failures} errors` : ''}`,
      `${formatRatio(ratio)} ceiling`,
      targeted ? '≥ 0.75×' : '',
      targeted ? verdict(ratio >= 0.75 && failures === 0) : '',
    );
  }
}

async function overHttps(servers: Record<(typeof SERVERS)[number], ChildHandle>, loadgen: ChildHandle): Promise<void> {
  const minimalRatios = new Map<string, number[]>();
  const ports: Record<string, number> = {};
  for (const name of SERVERS) ports[name] = await servers[name].call<number>('port');
  type Sample = { rate: number; p50: number; p99: number; errors: number; cpuMicros: number; firstError?: string | undefined };
  const samples = new Map<string, Sample[]>();
  const ratios = new Map<string, number[]>();
  const cpuRatios = new Map<string, number[]>();
  // Untimed warm-up of every server on every scenario (JIT, connection paths), oidc-provider included.
  const warmupMs = mode.name === 'smoke' ? 100 : mode.name === 'quick' ? 800 : 2500;
  for (const scenario of HTTPS_SCENARIOS) {
    for (const server of SERVERS) {
      await loadgen.call<LoadResult>(
        'run',
        { port: ports[server], scenario, concurrency: mode.https.concurrency, warmupMs: 0, durationMs: warmupMs, maxRequests: Math.ceil((warmupMs / 1000) * 8000) },
        warmupMs + 120_000,
      );
    }
  }
  for (let round = 0; round < mode.https.rounds; round++) {
    log(`https round ${round + 1}/${mode.https.rounds}`);
    for (const scenario of HTTPS_SCENARIOS) {
      const perServer = new Map<string, Sample>();
      for (const server of rotate(SERVERS, round)) {
        const cpuBefore = await servers[server].call<NodeJS.CpuUsage>('cpu');
        const result = await loadgen.call<LoadResult>(
          'run',
          {
            port: ports[server],
            scenario,
            concurrency: mode.https.concurrency,
            warmupMs: mode.https.warmupMs,
            durationMs: mode.https.durationMs,
            maxRequests: mode.https.maxRequests,
          },
          mode.https.warmupMs + mode.https.durationMs + 120_000,
        );
        if (result.errors > 0) log(`  ${scenario} · ${server}: ${result.errors} errors, first: ${result.firstError}`);
        const cpuAfter = await servers[server].call<NodeJS.CpuUsage>('cpu');
        // The server's own CPU per answered request (warm-up included): its cost, whatever the machine's load.
        const cpuMicros = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / Math.max(1, result.responses);
        const sample = { rate: rate(result), p50: result.p50Ms, p99: result.p99Ms, errors: result.errors, cpuMicros, firstError: result.firstError };
        perServer.set(server, sample);
        samples.set(`${scenario}/${server}`, [...(samples.get(`${scenario}/${server}`) ?? []), sample]);
      }
      const baseline = perServer.get('oidc-provider') as Sample;
      const floor = perServer.get('minimal') as Sample;
      for (const server of SERVERS) {
        const key = `${scenario}/${server}`;
        const sample = perServer.get(server) as Sample;
        ratios.set(key, [...(ratios.get(key) ?? []), sample.rate / baseline.rate]);
        cpuRatios.set(key, [...(cpuRatios.get(key) ?? []), baseline.cpuMicros / sample.cpuMicros]);
        minimalRatios.set(key, [...(minimalRatios.get(key) ?? []), sample.rate / floor.rate]);
      }
    }
  }
  for (const scenario of HTTPS_SCENARIOS) {
    for (const server of SERVERS) {
      const key = `${scenario}/${server}`;
      const list = samples.get(key) ?? [];
      const failures = list.reduce((sum, sample) => sum + sample.errors, 0);
      const p99 = median(list.map((sample) => sample.p99));
      const ratio = median(ratios.get(key) ?? []);
      const cpuRatio = median(cpuRatios.get(key) ?? []);
      const ofMinimal = median(minimalRatios.get(key) ?? []);
      const ours = server === 'fastify' || server === 'node';
      const label = server === 'minimal' ? 'minimal (node:https + node:crypto only)' : server;
      row(
        'https',
        `${scenario} · ${label}`,
        `${formatInteger(median(list.map((sample) => sample.rate)))} req/s · p50 ${formatMs(median(list.map((sample) => sample.p50)))} · p99 ${formatMs(p99)} · ${failures} errors · server CPU ${formatInteger(median(list.map((sample) => sample.cpuMicros)))} µs/req`,
        server === 'oidc-provider'
          ? `1.00× (baseline) · ${formatRatio(ofMinimal)} minimal`
          : `${formatRatio(ratio)} oidc-provider (CPU/req ${formatRatio(cpuRatio)})${ours ? ` · ${formatRatio(ofMinimal)} minimal` : ''}`,
        ours ? '≥ 2.5×, p99 < 10 ms' : '',
        ours ? verdict(ratio >= 2.5 && p99 < 10 && failures === 0) : '',
      );
    }
  }
}

async function growth(children: readonly ChildHandle[]): Promise<void> {
  const rates = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  let failures = 0;
  for (let round = 0; round < mode.growth.rounds; round++) {
    log(`growth round ${round + 1}/${mode.growth.rounds}`);
    for (const scenario of GROWTH_SCENARIOS) {
      // Slices on each registry size in turn, so the machine's noise falls on all three alike.
      const totals = mode.growth.sizes.map(() => ({ count: 0, cpuSeconds: 0 }));
      for (let slice = 0; slice < mode.growth.slices; slice++) {
        for (const index of rotate([0, 1, 2], round + slice)) {
          const result = await (children[index] as ChildHandle).call<RoundResult>('round', { target: 'endpoint', scenario, ms: mode.growth.sliceMs, max: mode.growth.max } satisfies RoundRequest);
          if (result.errors > 0) log(`  growth ${scenario} #${index}: ${result.errors} errors, first: ${result.firstError}`);
          failures += result.errors;
          const total = totals[index] as { count: number; cpuSeconds: number };
          total.count += result.count;
          total.cpuSeconds += result.cpuSeconds;
        }
      }
      const perSize = totals.map((total) => total.count / total.cpuSeconds);
      mode.growth.sizes.forEach((size, index) => {
        const key = `${scenario}/${size}`;
        rates.set(key, [...(rates.get(key) ?? []), perSize[index] as number]);
        ratios.set(key, [...(ratios.get(key) ?? []), (perSize[index] as number) / (perSize[0] as number)]);
      });
    }
  }
  for (const scenario of GROWTH_SCENARIOS) {
    mode.growth.sizes.forEach((size, index) => {
      const key = `${scenario}/${size}`;
      const ratio = median(ratios.get(key) ?? []);
      row(
        'growth',
        `${scenario} · ${size.toLocaleString('en-US')} clients`,
        `${formatInteger(median(rates.get(key) ?? []))} req/CPU-s${failures > 0 && index === 0 ? ` · ${failures} errors` : ''}`,
        index === 0 ? '1.00× (baseline)' : `${formatRatio(ratio)} of ${mode.growth.sizes[0]} clients`,
        index === 0 ? '' : '≥ 0.90×',
        index === 0 ? '' : verdict(ratio >= 0.9 && failures === 0),
      );
    });
  }
}

async function memory(child: ChildHandle): Promise<void> {
  // RSS first: the replay-store measurement leaves a large heap behind (freed, but RSS rarely shrinks).
  log(`RSS: ${mode.rss.requests.toLocaleString('en-US')} requests`);
  const rss = await child.call<{
    requests: number;
    errors: number;
    rssBefore: number;
    rssCheckpoints: number[];
    rssAfter: number;
    heapBefore: number;
    heapAfter: number;
    committedBefore: number;
    committedAfter: number;
    replayEntries: number;
  }>(
    'rss',
    { requests: mode.rss.requests, timeLimitMs: mode.rss.timeLimitMs },
    mode.rss.timeLimitMs + 120_000,
  );
  log(`replay store: ${mode.replayEntries.toLocaleString('en-US')} entries`);
  const replay = await child.call<{ bytesPerEntry: number }>('replayMemory', { entries: mode.replayEntries }, 300_000);
  row('memory', `replay store · ${mode.replayEntries.toLocaleString('en-US')} entries`, `${formatBytes(replay.bytesPerEntry)} per entry`, '', '≤ 200 B', verdict(replay.bytesPerEntry <= 200));

  // What the replay window explains: every private_key_jwt request of the run is still live.
  const window = rss.replayEntries * replay.bytesPerEntry;
  const heapGrowth = rss.heapAfter - rss.heapBefore;
  const unexplained = heapGrowth - window;
  const partial = rss.requests < mode.rss.requests ? ` (time limit: ${rss.requests.toLocaleString('en-US')} done)` : '';
  row(
    'memory',
    `RSS · ${mode.rss.requests.toLocaleString('en-US')} requests`,
    `RSS ${formatBytes(rss.rssBefore)} → ${rss.rssCheckpoints.map((value) => formatBytes(value).replace(' MiB', '')).join(' → ')} MiB (each quarter) · V8 heap committed ${formatBytes(rss.committedBefore)} → ${formatBytes(rss.committedAfter)}, used ${formatBytes(rss.heapBefore)} → ${formatBytes(rss.heapAfter)}${partial}${rss.errors > 0 ? ` · ${rss.errors} errors` : ''}`,
    `heap used ${signed(heapGrowth, formatBytes)} vs replay window ${formatBytes(window)} (${rss.replayEntries.toLocaleString('en-US')} live jti)`,
    'heap growth ≤ window + 2 MiB',
    verdict(unexplained <= 2 * 1024 * 1024 && rss.errors === 0),
  );
}

async function redisLatency(child: ChildHandle | undefined): Promise<void> {
  const label = 'pkjwt-es256 · replay store on redis-server';
  if (!child) {
    row('redis', label, 'skipped: redis-server did not start');
    return;
  }
  const added50: number[] = [];
  const added99: number[] = [];
  const memory50: number[] = [];
  const redis50: number[] = [];
  let failures = 0;
  for (let round = 0; round < mode.redis.rounds; round++) {
    log(`redis round ${round + 1}/${mode.redis.rounds}`);
    const p50 = { endpoint: [] as number[], redis: [] as number[] };
    const p99 = { endpoint: [] as number[], redis: [] as number[] };
    for (let slice = 0; slice < mode.redis.slices; slice++) {
      for (const target of (round + slice) % 2 === 0 ? (['endpoint', 'redis'] as const) : (['redis', 'endpoint'] as const)) {
        const result = await child.call<RoundResult>('round', { target, scenario: 'pkjwt-es256', ms: mode.redis.sliceMs, max: mode.redis.max, latencies: true } satisfies RoundRequest);
        if (result.errors > 0) log(`  redis ${target}: ${result.errors} errors, first: ${result.firstError}`);
        failures += result.errors;
        p50[target].push(result.p50Ms as number);
        p99[target].push(result.p99Ms as number);
      }
    }
    added50.push(median(p50.redis) - median(p50.endpoint));
    added99.push(median(p99.redis) - median(p99.endpoint));
    memory50.push(median(p50.endpoint));
    redis50.push(median(p50.redis));
  }
  row(
    'redis',
    label,
    `added latency p50 ${signed(median(added50), formatMs)} · p99 ${signed(median(added99), formatMs)}${failures > 0 ? ` · ${failures} errors` : ''}`,
    `p50 ${formatMs(median(redis50))} vs ${formatMs(median(memory50))} in memory`,
  );
}

// ----------------------------------------------------------------------------------------------
// Main
// ----------------------------------------------------------------------------------------------

function table(): string {
  const header = '| section | scenario | result | ratio | target | status |\n| --- | --- | --- | --- | --- | --- |';
  return `${header}\n${rows.map((r) => `| ${r.section} | ${r.scenario} | ${r.result} | ${r.ratio} | ${r.target} | ${r.status} |`).join('\n')}`;
}

async function main(): Promise<void> {
  const load = loadavg();
  log(`mode ${mode.name}: fixtures`);
  const fixturesFile = writeFixtures(await generateFixtures());
  // Children measure the library as it ships (compiled), unless --source.
  const libraryDir = values.source ? undefined : await compileLibrary(values['lib-src'] === undefined ? undefined : resolve(values['lib-src']));
  if (libraryDir) process.env.M2M_BENCH_LIB = libraryDir;
  const fixturesArgs = ['--fixtures', fixturesFile];
  const children: ChildHandle[] = [];
  const redis = wanted('redis') ? await startRedis() : undefined;
  try {
    log('starting child processes');
    const track = async (promise: Promise<ChildHandle>): Promise<ChildHandle> => {
      const child = await promise;
      children.push(child);
      return child;
    };
    const none = Promise.resolve(undefined);
    const when = (section: (typeof SECTIONS)[number], start: () => Promise<ChildHandle>): Promise<ChildHandle | undefined> => (wanted(section) ? track(start()) : none);
    const [inProcess, loadgen, fastify, node, oidc, minimal, memoryChild, ...growthChildren] = await Promise.all([
      wanted('in-process') || wanted('redis')
        ? track(startChild('in-process', 'inprocess.ts', [...fixturesArgs, ...(redis ? ['--redis-port', String(redis.port)] : [])], ['--expose-gc']))
        : none,
      when('https', () => startChild('loadgen', 'loadgen.ts', fixturesArgs)),
      when('https', () => startChild('fastify', 'server.ts', [...fixturesArgs, '--kind', 'fastify'])),
      when('https', () => startChild('node', 'server.ts', [...fixturesArgs, '--kind', 'node'])),
      when('https', () => startChild('oidc-provider', 'server.ts', [...fixturesArgs, '--kind', 'oidc-provider'])),
      when('https', () => startChild('minimal', 'server.ts', [...fixturesArgs, '--kind', 'minimal'])),
      when('memory', () => startChild('memory', 'inprocess.ts', fixturesArgs, ['--expose-gc'])),
      ...mode.growth.sizes.map((size) => when('growth', () => startChild(`growth-${size}`, 'inprocess.ts', [...fixturesArgs, '--clients', String(size)], ['--expose-gc']))),
    ]);

    log('warm-up');
    await warmup([inProcess], wanted('in-process') ? SCENARIOS : ['pkjwt-es256']);
    await warmup(growthChildren, GROWTH_SCENARIOS);
    if (wanted('in-process')) await ceilingAndInProcess(inProcess as ChildHandle);
    if (wanted('https')) await overHttps({ fastify: fastify as ChildHandle, node: node as ChildHandle, 'oidc-provider': oidc as ChildHandle, minimal: minimal as ChildHandle }, loadgen as ChildHandle);
    if (wanted('growth')) await growth(growthChildren as ChildHandle[]);
    if (wanted('memory')) await memory(memoryChild as ChildHandle);
    if (wanted('redis')) await redisLatency(redis ? inProcess : undefined);
    await inProcess?.call('close');
  } finally {
    await Promise.all(children.map((child) => child.close()));
    await redis?.stop();
    rmSync(dirname(fixturesFile), { recursive: true, force: true });
    if (libraryDir) rmSync(libraryDir, { recursive: true, force: true });
  }

  const missing = expectedRows(mode).filter(([section]) => wanted(section === 'crypto ceiling' ? 'in-process' : (section as (typeof SECTIONS)[number]))).filter(([section, scenario]) => !rows.some((r) => r.section === section && r.scenario === scenario));
  if (missing.length > 0) throw new Error(`rows missing from the table: ${missing.map((entry) => entry.join(' / ')).join(', ')}`);

  const end = loadavg();
  const command = `npm run bench${mode.name === 'full' ? '' : ` -- --${mode.name}`}`;
  const output = [
    `## \`${command}\` — ${new Date(startedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${cpus().length} CPUs (nproc), ${cpuModel()}, node ${process.version}, ${process.platform}/${process.arch}. ` +
      `Load average ${load[0]?.toFixed(1)} at start, ${end[0]?.toFixed(1)} at end. Run time ${((Date.now() - startedAt) / 1000).toFixed(0)} s. ` +
      `Library: ${libraryDir ? `compiled JavaScript (${values['lib-src'] ?? 'src/'} transpiled by esbuild, as tsc would emit it)` : 'TypeScript sources through tsx'}. ` +
      `Medians of ${mode.inProcess.rounds} in-process, ${mode.https.rounds} HTTPS, ${mode.growth.rounds} growth rounds; ratios taken round by round. ` +
      'In-process and growth rates are per CPU-second of the measuring process (other processes cannot inflate them); HTTPS rates are wall-clock.',
    '',
    table(),
    '',
  ].join('\n');
  process.stdout.write(output);
  if (values.out) writeFileSync(values.out, output);
}

await main();
