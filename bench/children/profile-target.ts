/**
 * The profiled process: one scenario through `endpoint.token()` for a fixed time, one request
 * at a time, after a warm-up. Args: FIXTURES SCENARIO SECONDS WINDOW_FILE
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type Scenario, readFixtures } from '../lib/fixtures.js';
import { createBenchEndpoint, scenarioRequests } from '../lib/scenarios.js';

const [fixturesFile, scenario, secondsArg, windowFile] = process.argv.slice(2) as [string, Scenario, string, string];
const fixtures = readFixtures(fixturesFile);
const endpoint = createBenchEndpoint(fixtures);
const requests = scenarioRequests(fixtures, scenario);
const seconds = Number(secondsArg);
const BATCH = 500;

async function run(ms: number, limit: number): Promise<number> {
  const deadline = performance.now() + ms;
  let count = 0;
  while (count < limit && performance.now() < deadline) {
    requests.prepare(BATCH);
    for (let index = 0; index < BATCH; index++) {
      const response = await endpoint.token(requests.next());
      if (response.status !== 200) throw new Error(`${scenario}: ${response.status} ${response.body}`);
    }
    count += BATCH;
  }
  return count;
}

await run(1500, 10_000);
// The measured window, on the profiler's clock (CLOCK_MONOTONIC µs): startup and warm-up are left out.
const windowStart = Number(process.hrtime.bigint() / 1000n);
const started = performance.now();
const count = await run(seconds * 1000, 2_000_000);
const windowEnd = Number(process.hrtime.bigint() / 1000n);
writeFileSync(windowFile, JSON.stringify({ start: windowStart, end: windowEnd, requests: count, seconds: (performance.now() - started) / 1000 }));
