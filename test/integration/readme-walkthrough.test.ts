import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const REPOSITORY = new URL('../..', import.meta.url).pathname;

/** The README's walkthrough block, exactly as a newcomer would paste it. */
function walkthroughBlock(): string {
  const readme = readFileSync(`${REPOSITORY}README.md`, 'utf8');
  const marker = readme.indexOf('<!-- walkthrough:');
  const start = readme.indexOf('```sh\n', marker);
  const end = readme.indexOf('\n```', start + 6);
  if (marker < 0 || start < 0 || end < 0) throw new Error('README walkthrough block not found');
  return readme.slice(start + 6, end);
}

async function portsFree(...ports: number[]): Promise<boolean> {
  const { createServer } = await import('node:net');
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

describe('README "Five minutes": the walkthrough works as written', () => {
  it('gets a bound token by curl, calls the resource server with it (200), and is refused with another certificate (401)', async (context) => {
    // The block uses the documented ports; where something else holds them, say so as a skip.
    if (!(await portsFree(8443, 9443))) context.skip('ports 8443/9443 are busy on this machine');
    const result = spawnSync('bash', ['-c', `set -e\n${walkthroughBlock()}`], {
      cwd: REPOSITORY,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env },
    });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ hello: 'demo-tls-client-auth-dn', scopes: ['demo:read', 'demo:write'] });
    expect(lines[1]).toMatch(/^401 Bearer error="invalid_token"/);
  }, 150_000);
});
