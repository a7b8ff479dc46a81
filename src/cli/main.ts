#!/usr/bin/env node
import { ASSERTION_USAGE, runAssertionCommand } from './assertion.js';
import { FIXTURES_USAGE, runFixturesCommand } from './fixtures.js';
import { SERVE_USAGE, runServeCommand } from './serve.js';

const USAGE = `Usage: m2m-token-endpoint <command> [options]

Commands:
  serve       run an HTTPS token endpoint (mTLS-capable) on generated or given fixtures
  assertion   print a fresh private_key_jwt client assertion
  fixtures    write a test PKI, demo clients (PEM, JWK, PKCS#12) and clients.json to a directory

${SERVE_USAGE}

${ASSERTION_USAGE}

${FIXTURES_USAGE}`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServeCommand(rest);
    case 'assertion':
      return runAssertionCommand(rest);
    case 'fixtures':
      return runFixturesCommand(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    // Configuration errors name the field and the fix; print just that, never a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = 1;
  },
);
