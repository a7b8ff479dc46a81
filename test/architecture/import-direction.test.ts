import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * Which folders each folder may import (besides itself). Imports run one way:
 * adapters → core → (client-auth, tokens, metadata, clients, replay) → (assertions, certificates)
 * → errors → util. Nothing imports adapters, testing or cli (docs/architecture.md).
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  util: [],
  errors: ['util'],
  certificates: ['errors', 'util'],
  clients: ['certificates', 'errors', 'util'],
  replay: ['errors', 'util'],
  revocation: ['errors', 'util'],
  throttle: ['errors', 'util'],
  redis: ['replay', 'revocation', 'throttle', 'errors', 'util'],
  tokens: ['errors', 'util'],
  assertions: ['clients', 'errors', 'util'],
  metadata: ['assertions', 'clients', 'errors', 'util'],
  'client-auth': ['assertions', 'certificates', 'clients', 'replay', 'throttle', 'errors', 'util'],
  'resource-server': ['certificates', 'tokens', 'revocation', 'errors', 'util'],
  core: ['client-auth', 'tokens', 'metadata', 'clients', 'replay', 'revocation', 'throttle', 'assertions', 'certificates', 'errors', 'util'],
  adapters: ['core', 'resource-server', 'errors', 'util'],
  testing: ['clients', 'tokens', 'certificates', 'errors', 'util'],
  cli: ['adapters', 'core', 'testing', 'clients', 'certificates', 'tokens', 'replay', 'revocation', 'throttle', 'redis', 'assertions', 'errors', 'util'],
  '.': ['core', 'clients', 'replay', 'revocation', 'throttle', 'tokens', 'assertions', 'errors', 'util', 'certificates', 'resource-server'],
};

/** Web frameworks may be named only where a framework is adapted (and by the CLI that hosts one). */
const FRAMEWORKS = /^(fastify|fastify-plugin|@fastify\/.*|express|hono|@hono\/.*|koa)$/;
const FRAMEWORK_FOLDERS = new Set(['adapters', 'cli']);

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? '.' : (parts[0] as string);
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every import of `file` (in folder `from`) that breaks the rule, as readable lines. */
function violations(file: string, from: string, text: string): string[] {
  const allowed = ALLOWED[from];
  if (!allowed) return [`folder ${from} has no rule; add it to ALLOWED`];
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2]) as string;
    if (specifier.startsWith('.')) {
      const to = folderOf(resolve(dirname(file), specifier));
      if (to !== from && !allowed.includes(to)) found.push(`${relative(SRC, file)} imports ${specifier} (${from} → ${to})`);
    } else if (FRAMEWORKS.test(specifier) && !FRAMEWORK_FOLDERS.has(from)) {
      found.push(`${relative(SRC, file)} imports the framework ${specifier}`);
    }
  }
  return found;
}

describe('architecture: imports run one way (docs/architecture.md)', () => {
  const files = sourceFiles(SRC);

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files.map((file) => [relative(SRC, file), file] as const))('%s imports only what its layer allows', (_name, file) => {
    expect(violations(file, folderOf(file), readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('reports the core importing an adapter or a framework', () => {
    const file = join(SRC, 'core', 'example.ts');
    const text = "import { x } from '../adapters/fastify.js';\nimport Fastify from 'fastify';\nconst y = await import('../testing/pki.js');";
    expect(violations(file, 'core', text)).toEqual([
      'core/example.ts imports ../adapters/fastify.js (core → adapters)',
      'core/example.ts imports the framework fastify',
      'core/example.ts imports ../testing/pki.js (core → testing)',
    ]);
  });
});
