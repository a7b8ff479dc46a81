/**
 * Smoke test of `npm run bench`: the bench runs end to end in its smallest mode (`--smoke`) and
 * prints its table with every row. Not a performance assertion — no figure is checked, only that
 * each measurement ran and produced its row (`bench/lib/modes.ts` lists them).
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODES, expectedRows } from '../bench/lib/modes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HARD_CAP_MS = 60_000;

function runBench(script = 'bench/run.ts', args: readonly string[] = ['--smoke']): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Hard cap: the whole process group (servers, load generator, redis-server) goes.
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`${script} did not finish within ${HARD_CAP_MS / 1000} s\n${stderr.slice(-2000)}`));
    }, HARD_CAP_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe('npm run bench (smoke)', () => {
  it(
    'prints the table with every row',
    async () => {
      const { code, stdout, stderr } = await runBench();
      expect(code, stderr.slice(-2000)).toBe(0);
      const rows = stdout
        .split('\n')
        .filter((line) => line.startsWith('| ') && !line.startsWith('| section') && !line.startsWith('| ---'))
        .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| /, '').trim()));
      const printed = rows.map(([section, scenario]) => `${section} / ${scenario}`);
      const expected = expectedRows(MODES.smoke).map(([section, scenario]) => `${section} / ${scenario}`);
      expect(printed).toEqual(expected);
      for (const row of rows) expect(row[2], `${row[0]} / ${row[1]} has a result`).not.toBe('');
      expect(stdout).toMatch(/Machine: \d+ CPUs \(nproc\), .+, node v\d+/);
    },
    HARD_CAP_MS + 10_000,
  );

  it(
    'npm run bench:tail prints the tail of each scenario asked for (µs and bytes per request)',
    async () => {
      const { code, stdout, stderr } = await runBench('bench/tail.ts', ['--rounds', '1', '--requests', '200', 'mtls-dn', 'pkjwt-es256']);
      expect(code, stderr.slice(-2000)).toBe(0);
      const rows = stdout.split('\n').filter((line) => /^\| (mtls-dn|pkjwt-es256) \|/.test(line));
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row).toMatch(/^\| [\w-]+ \| \d+\.\d µs \| ([\d,]+ B|—) \|$/);
    },
    HARD_CAP_MS + 10_000,
  );
});
