/**
 * Run lengths. `full` is the result (`npm run bench`, < 10 minutes on 2 cores); `quick` is a
 * ~1-minute look; `smoke` is the smallest run that still prints every row (the vitest smoke test).
 */
import { SCENARIOS, type Scenario } from './fixtures.js';

export type ModeName = 'full' | 'quick' | 'smoke';

export interface Mode {
  readonly name: ModeName;
  /** Per round and scenario: `slices` alternating slices of ceiling and handler, each ~`sliceMs`; handler slices capped at `maxFast`/`maxRsa` requests. */
  readonly inProcess: { readonly rounds: number; readonly slices: number; readonly sliceMs: number; readonly maxFast: number; readonly maxRsa: number };
  readonly https: { readonly rounds: number; readonly warmupMs: number; readonly durationMs: number; readonly maxRequests: number; readonly concurrency: number };
  /** Per round and scenario: `slices` slices of `sliceMs` on each registry size in turn. */
  readonly growth: { readonly rounds: number; readonly slices: number; readonly sliceMs: number; readonly max: number; readonly sizes: readonly [number, number, number] };
  readonly replayEntries: number;
  readonly rss: { readonly requests: number; readonly timeLimitMs: number };
  readonly redis: { readonly rounds: number; readonly slices: number; readonly sliceMs: number; readonly max: number };
}

export const MODES: Readonly<Record<ModeName, Mode>> = {
  full: {
    name: 'full',
    inProcess: { rounds: 7, slices: 6, sliceMs: 150, maxFast: 2500, maxRsa: 150 },
    https: { rounds: 5, warmupMs: 500, durationMs: 3000, maxRequests: 24_000, concurrency: 16 },
    growth: { rounds: 5, slices: 4, sliceMs: 150, max: 2500, sizes: [10, 10_000, 100_000] },
    replayEntries: 1_000_000,
    rss: { requests: 200_000, timeLimitMs: 150_000 },
    redis: { rounds: 5, slices: 4, sliceMs: 150, max: 1000 },
  },
  quick: {
    name: 'quick',
    inProcess: { rounds: 3, slices: 4, sliceMs: 60, maxFast: 1000, maxRsa: 60 },
    https: { rounds: 2, warmupMs: 200, durationMs: 1000, maxRequests: 8000, concurrency: 16 },
    growth: { rounds: 3, slices: 2, sliceMs: 60, max: 1000, sizes: [10, 10_000, 100_000] },
    replayEntries: 1_000_000,
    rss: { requests: 20_000, timeLimitMs: 30_000 },
    redis: { rounds: 3, slices: 2, sliceMs: 60, max: 500 },
  },
  smoke: {
    name: 'smoke',
    inProcess: { rounds: 1, slices: 2, sliceMs: 20, maxFast: 200, maxRsa: 20 },
    https: { rounds: 1, warmupMs: 50, durationMs: 250, maxRequests: 1200, concurrency: 16 },
    growth: { rounds: 1, slices: 1, sliceMs: 30, max: 200, sizes: [10, 1_000, 10_000] },
    replayEntries: 100_000,
    rss: { requests: 2_000, timeLimitMs: 10_000 },
    redis: { rounds: 1, slices: 1, sliceMs: 30, max: 100 },
  },
};

export const HTTPS_SCENARIOS = ['pkjwt-es256', 'mtls-dn'] as const;
export const SERVERS = ['fastify', 'node', 'oidc-provider', 'minimal'] as const;
export const GROWTH_SCENARIOS: readonly Scenario[] = ['pkjwt-es256', 'secret-basic'];
/** In-process scenarios with a target (≥ 0.75× the crypto ceiling). */
export const CEILING_TARGETS: ReadonlySet<Scenario> = new Set(['pkjwt-es256', 'mtls-dn', 'secret-basic']);

const count = (value: number): string => value.toLocaleString('en-US');

/** The (section, scenario) of every row the table prints in `mode`, in order. */
export function expectedRows(mode: Mode): Array<readonly [string, string]> {
  return [
    ...SCENARIOS.map((scenario) => ['crypto ceiling', scenario] as const),
    ...SCENARIOS.map((scenario) => ['in-process', scenario] as const),
    ...HTTPS_SCENARIOS.flatMap((scenario) =>
      SERVERS.map((server) => ['https', `${scenario} · ${server === 'minimal' ? 'minimal (node:https + node:crypto only)' : server}`] as const),
    ),
    ...GROWTH_SCENARIOS.flatMap((scenario) => mode.growth.sizes.map((size) => ['growth', `${scenario} · ${count(size)} clients`] as const)),
    ['memory', `replay store · ${count(mode.replayEntries)} entries`],
    ['memory', `RSS · ${count(mode.rss.requests)} requests`],
    ['redis', 'pkjwt-es256 · replay store on redis-server'],
  ];
}
