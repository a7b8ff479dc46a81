import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const NODE_TEST_DIR = join(ROOT, 'test/node-test');

/**
 * `npm test` runs vitest only; this spawns Node's own runner on `test/node-test/` so the suite
 * also proves the toolkit works under `node:test`. The files are named explicitly: Node 20's
 * `--test DIR` only discovers `.js` files and would report 0 tests with exit code 0.
 */
describe('the testing toolkit under node:test', () => {
  it('runs test/node-test/*.node-test.ts green, with every test passing', async () => {
    const files = readdirSync(NODE_TEST_DIR).filter((name) => name.endsWith('.node-test.ts'));
    expect(files.length).toBeGreaterThan(0);
    const { code, stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', ...files.map((name) => join('test/node-test', name))],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 110_000 },
    ).then(
      (result) => ({ code: 0, ...result }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );
    const count = (label: string): number => Number(stdout.match(new RegExp(`^# ${label} (\\d+)$`, 'm'))?.[1] ?? Number.NaN);
    expect({ code, fail: count('fail') }, `${stdout}\n${stderr}`).toEqual({ code: 0, fail: 0 });
    expect(count('pass')).toBeGreaterThanOrEqual(7);
    expect(count('pass')).toBe(count('tests'));
  }, 120_000);
});
