/**
 * The tail of a request: `endpoint.token()` with node:crypto's `sign` and `verify` replaced by
 * stubs (a fixed signature, "verified"), so what is measured is everything but the signatures —
 * the part of a request the library controls. Prints one JSON line per scenario: CPU µs per
 * request (median of rounds) and bytes allocated per request (young generation, median).
 * Needs --expose-gc. Args: FIXTURES ROUNDS REQUESTS SCENARIO...
 */
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import v8 from 'node:v8';

const signature = Buffer.alloc(64, 7);
const mutable = crypto as unknown as { sign: (...args: unknown[]) => Buffer; verify: (...args: unknown[]) => boolean };
mutable.sign = () => signature;
mutable.verify = () => true;
syncBuiltinESMExports();

const { readFixtures } = await import('../lib/fixtures.js');
const { createBenchEndpoint, scenarioRequests } = await import('../lib/scenarios.js');
type Scenario = import('../lib/fixtures.js').Scenario;

const [fixturesFile, roundsArg, requestsArg, ...scenarios] = process.argv.slice(2) as [string, string, string, ...Scenario[]];
const fixtures = readFixtures(fixturesFile);
const endpoint = createBenchEndpoint(fixtures);
const gc = (globalThis as { gc?: (options?: { type: 'minor' }) => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] as number;
const youngBytes = (): number => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_used_size ?? 0;

for (const scenario of scenarios) {
  const requests = scenarioRequests(fixtures, scenario);
  const run = async (count: number): Promise<void> => {
    for (let index = 0; index < count; index++) {
      const response = await endpoint.token(requests.next());
      if (response.status !== 200) throw new Error(`${scenario}: ${response.status} ${response.body}`);
    }
  };
  requests.prepare(5000);
  await run(5000);
  const micros: number[] = [];
  const bytes: number[] = [];
  for (let round = 0; round < Number(roundsArg); round++) {
    const count = Number(requestsArg);
    requests.prepare(count);
    gc({ type: 'minor' });
    const cpu = process.cpuUsage();
    await run(count);
    const used = process.cpuUsage(cpu);
    micros.push((used.user + used.system) / count);
    // Allocation: 50 requests between two young-generation readings, no collection in between.
    requests.prepare(50);
    gc({ type: 'minor' });
    const before = youngBytes();
    await run(50);
    const after = youngBytes();
    if (after > before) bytes.push((after - before) / 50);
  }
  console.log(JSON.stringify({ scenario, micros: median(micros), bytes: bytes.length > 0 ? median(bytes) : undefined }));
}
