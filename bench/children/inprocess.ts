/**
 * In-process measurements: the crypto ceiling and the core handler (`endpoint.token()`, no
 * HTTP), one request at a time. One child per registry size (growth section); optionally a
 * second endpoint whose replay store is a real redis-server.
 *
 * Args: --fixtures FILE [--clients N] [--redis-port PORT]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import { serveCommands } from '../lib/child.js';
import { type Scenario, readFixtures } from '../lib/fixtures.js';
import { createMemoryReplayStore, createRedisReplayStore } from '../lib/lib.js';
import { type ScenarioRequests, createBenchEndpoint, cryptoCeiling, scenarioRequests } from '../lib/scenarios.js';
import { percentile } from '../lib/stats.js';

const { values } = parseArgs({ options: { fixtures: { type: 'string' }, clients: { type: 'string' }, 'redis-port': { type: 'string' } } });
const fixtures = readFixtures(values.fixtures as string);

export interface RoundRequest {
  readonly target: 'ceiling' | 'endpoint' | 'redis';
  readonly scenario: Scenario;
  /** Time budget of the round. */
  readonly ms: number;
  /** Request budget of the round (private_key_jwt: the number of assertions signed beforehand). */
  readonly max: number;
  readonly latencies?: boolean;
}

export interface RoundResult {
  readonly count: number;
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** CPU seconds of this process (all its threads) over the same span: what other processes on the machine cannot inflate. */
  readonly cpuSeconds: number;
  readonly errors: number;
  readonly firstError?: string | undefined;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

const endpoints: Partial<Record<'endpoint' | 'redis', TokenEndpoint>> = {};
const requests = new Map<string, ScenarioRequests>();
const ceilings = new Map<Scenario, () => void>();
let redisClose: (() => Promise<unknown>) | undefined;

const setup = (async () => {
  endpoints.endpoint = createBenchEndpoint(fixtures, { registeredClients: Number(values.clients ?? fixtures.clients.length) });
  if (values['redis-port']) {
    const client = createClient({ url: `redis://127.0.0.1:${values['redis-port']}` });
    client.on('error', () => {});
    await client.connect();
    redisClose = () => client.quit();
    endpoints.redis = createBenchEndpoint(fixtures, { replayStore: createRedisReplayStore({ client, timeoutMs: 2000 }) });
  }
})();

function requestsFor(target: 'endpoint' | 'redis', scenario: Scenario): ScenarioRequests {
  const key = `${target}/${scenario}`;
  let value = requests.get(key);
  if (!value) {
    value = scenarioRequests(fixtures, scenario);
    requests.set(key, value);
  }
  return value;
}

/**
 * Each slice pays for its own garbage, and only for its own: the young generation is emptied
 * before the clock starts (of whatever came before: the other side's slice, signing the next
 * assertions) and again before it stops (of what the slice itself allocated). Without this the
 * collections ran whenever the young generation filled up — mostly inside handler slices, which
 * allocate more — and the handler paid for the ceiling's garbage (its signatures are native
 * buffers, costly to sweep) and for the assertions signed before it. Needs --expose-gc (the
 * orchestrator starts in-process children with it); a no-op without.
 */
const collectYoung: () => void = (() => {
  const gc = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
  return gc ? () => gc({ type: 'minor' }) : () => {};
})();

function ceilingRound({ scenario, ms, max }: RoundRequest): RoundResult {
  let run = ceilings.get(scenario);
  if (!run) {
    run = cryptoCeiling(fixtures, scenario);
    ceilings.set(scenario, run);
  }
  collectYoung();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  let count = 0;
  while (count < max) {
    run();
    count++;
    if ((count & 7) === 0 && performance.now() >= deadline) break;
  }
  collectYoung();
  return { count, seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSecondsSince(cpu), errors: 0 };
}

async function endpointRound({ target, scenario, ms, max, latencies }: RoundRequest): Promise<RoundResult> {
  const endpoint = endpoints[target as 'endpoint' | 'redis'];
  if (!endpoint) throw new Error(`no ${target} endpoint in this child`);
  const source = requestsFor(target as 'endpoint' | 'redis', scenario);
  source.prepare(max);
  const budget = Math.min(max, source.remaining());
  const samples = latencies ? new Float64Array(budget) : undefined;
  let errors = 0;
  let firstError: string | undefined;
  collectYoung();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + ms;
  let count = 0;
  while (count < budget) {
    const before = samples ? performance.now() : 0;
    const response = await endpoint.token(source.next());
    if (samples) samples[count] = performance.now() - before;
    if (response.status !== 200) {
      errors++;
      firstError ??= `${response.status} ${response.body}`;
    }
    count++;
    if ((count & 7) === 0 && performance.now() >= deadline) break;
  }
  collectYoung();
  const seconds = (performance.now() - start) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  if (!samples) return { count, seconds, cpuSeconds, errors, firstError };
  const measured = samples.subarray(0, count);
  return { count, seconds, cpuSeconds, errors, firstError, p50Ms: percentile(measured, 50), p99Ms: percentile(measured, 99) };
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

export interface PairRequest {
  readonly scenario: Scenario;
  readonly sliceMs: number;
  readonly slices: number;
  /** Requests per endpoint slice at most (private_key_jwt: assertions signed before each slice). */
  readonly max: number;
}

export interface PairResult {
  readonly ceiling: RoundResult;
  readonly endpoint: RoundResult;
}

function add(total: RoundResult | undefined, part: RoundResult): RoundResult {
  if (!total) return part;
  return {
    count: total.count + part.count,
    seconds: total.seconds + part.seconds,
    cpuSeconds: total.cpuSeconds + part.cpuSeconds,
    errors: total.errors + part.errors,
    firstError: total.firstError ?? part.firstError,
  };
}

/**
 * The crypto ceiling and the handler for one scenario, in alternating slices (ceiling, handler,
 * handler, ceiling, …) so that whatever else the machine is doing falls on both alike.
 */
async function pairRound({ scenario, sliceMs, slices, max }: PairRequest): Promise<PairResult> {
  let ceiling: RoundResult | undefined;
  let endpoint: RoundResult | undefined;
  for (let slice = 0; slice < slices; slice++) {
    const ceilingFirst = slice % 2 === 0;
    if (ceilingFirst) ceiling = add(ceiling, ceilingRound({ target: 'ceiling', scenario, ms: sliceMs, max: Number.MAX_SAFE_INTEGER }));
    // Sign only about as many assertions as a slice can spend (1.5× the rate seen so far).
    const sliceMax = endpoint ? Math.min(max, Math.ceil((endpoint.count / endpoint.seconds) * (sliceMs / 1000) * 1.5) + 16) : max;
    endpoint = add(endpoint, await endpointRound({ target: 'endpoint', scenario, ms: sliceMs, max: sliceMax }));
    if (!ceilingFirst) ceiling = add(ceiling, ceilingRound({ target: 'ceiling', scenario, ms: sliceMs, max: Number.MAX_SAFE_INTEGER }));
  }
  return { ceiling: ceiling as RoundResult, endpoint: endpoint as RoundResult };
}

/**
 * RSS before and after `requests` requests (a mix of private_key_jwt, mTLS and secret), with
 * forced GCs before each reading, plus readings at each quarter of the run: a leak grows with
 * the requests, a warm-up effect (heap spaces, allocator arenas) levels off. Assertions are signed
 * in batches of 1,000 so the bench's own buffers do not show up as growth. The baseline is taken
 * after a warm-up of a tenth of the run.
 */
async function rssRun({ requests: total, timeLimitMs }: { requests: number; timeLimitMs: number }) {
  const endpoint = endpoints.endpoint as TokenEndpoint;
  const mix: Scenario[] = ['mtls-dn', 'secret-basic', 'pkjwt-es256', 'mtls-dn', 'secret-basic'];
  const sources = mix.map((scenario) => scenarioRequests(fixtures, scenario));
  const runBatch = async (count: number): Promise<number> => {
    let errors = 0;
    const perSource = Math.ceil(count / sources.length) + 1;
    for (const source of sources) if (source.remaining() < perSource) source.prepare(perSource);
    for (let index = 0; index < count; index++) {
      const response = await endpoint.token((sources[index % sources.length] as ScenarioRequests).next());
      if (response.status !== 200) errors++;
    }
    return errors;
  };
  const reading = (): NodeJS.MemoryUsage => {
    for (const source of sources) source.prepare(0);
    collect();
    return process.memoryUsage();
  };
  const started = performance.now();
  const warmup = Math.max(2000, Math.round(total / 10));
  for (let done = 0; done < warmup && performance.now() - started < timeLimitMs / 4; done += 1000) await runBatch(1000);
  const before = reading();
  const checkpoints: number[] = [];
  const runStarted = performance.now();
  let done = 0;
  let errors = 0;
  for (let quarter = 1; quarter <= 4; quarter++) {
    const target = Math.round((total * quarter) / 4);
    while (done < target && performance.now() - started < timeLimitMs) {
      const batch = Math.min(1000, target - done);
      errors += await runBatch(batch);
      done += batch;
    }
    checkpoints.push(reading().rss);
  }
  const after = reading();
  return {
    requests: done,
    errors,
    seconds: (performance.now() - runStarted) / 1000,
    rssBefore: before.rss,
    rssCheckpoints: checkpoints,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    // V8's committed heap (young generation included): RSS that follows it is heap sizing, not retention.
    committedBefore: before.heapTotal,
    committedAfter: after.heapTotal,
    // Assertions spent during the run stay in the replay store until they expire: the window.
    replayEntries: Math.round(done / mix.length),
  };
}

/** Untimed runs of every scenario (JIT, caches, key imports), so round 1 is not a cold start. */
async function warmup({ scenarios, ms, max }: { scenarios: readonly Scenario[]; ms: number; max: number }): Promise<boolean> {
  for (const scenario of scenarios) {
    ceilingRound({ target: 'ceiling', scenario, ms: ms / 2, max });
    for (const target of ['endpoint', 'redis'] as const) {
      if (endpoints[target]) await endpointRound({ target, scenario, ms, max });
    }
  }
  return true;
}

/**
 * Bytes per entry of the in-memory replay store: heap used (after full GCs) before and after
 * `entries` consumes of realistic pairs (one of 10 client ids, a UUID jti parsed from JSON as the
 * endpoint parses it, a 5-minute expiry). Whatever the store keeps of the jti is counted. Needs
 * --expose-gc.
 */
async function replayMemory({ entries }: { entries: number }) {
  const clients = Array.from({ length: 10 }, (_, index) => `client-${index}.bench`);
  const now = Date.now();
  const before = collect();
  const store = createMemoryReplayStore({ maxEntries: entries + 1, now: () => now });
  let accepted = 0;
  for (let index = 0; index < entries; index++) {
    // As the endpoint passes it: a jti string as JSON.parse made it from the assertion's payload.
    const jti = (JSON.parse(`{"jti":"${randomUUID()}"}`) as { jti: string }).jti;
    if (await store.consume(clients[index % 10] as string, jti, now + 300_000 + (index % 1000))) accepted++;
  }
  const after = collect();
  if (store.size !== entries || accepted !== entries) throw new Error(`store holds ${store.size} of ${entries}`);
  return { entries, bytes: after - before, bytesPerEntry: (after - before) / entries };
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

serveCommands(
  {
    warmup,
    replayMemory,
    round: (argument: RoundRequest) => (argument.target === 'ceiling' ? ceilingRound(argument) : endpointRound(argument)),
    pair: pairRound,
    rss: rssRun,
    memory: () => process.memoryUsage(),
    close: async () => {
      await redisClose?.();
      return true;
    },
  },
  setup,
);
