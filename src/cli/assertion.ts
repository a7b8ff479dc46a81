import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { signClientAssertion } from '../testing/assertions.js';

export const ASSERTION_USAGE = `Usage: m2m-token-endpoint assertion --key FILE --client-id ID --audience ISSUER [--kid KID] [--alg ALG] [--lifetime SECONDS]

Prints a fresh RFC 7523 client assertion (compact JWS) on stdout, for curl:
  -d "client_assertion=$(npm run -s assertion -- --key key.json --client-id svc --audience https://localhost:8443)"

  --key FILE        private key: a private JWK (JSON) or a PEM (PKCS#8, SEC1, PKCS#1)
  --client-id ID    becomes iss and sub
  --audience URL    the authorization server's issuer identifier (the sole aud value)
  --kid KID         default: the JWK's kid, if any
  --alg ALG         default: from the key (ES256, ES384, PS256, EdDSA)
  --lifetime N      seconds until exp; default 60`;

/** `assertion` subcommand: one fresh assertion per call (a new jti each time). */
export async function runAssertionCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      key: { type: 'string' },
      'client-id': { type: 'string' },
      audience: { type: 'string' },
      kid: { type: 'string' },
      alg: { type: 'string' },
      lifetime: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${ASSERTION_USAGE}\n`);
    return 0;
  }
  if (!values.key || !values['client-id'] || !values.audience) {
    process.stderr.write(`--key, --client-id and --audience are required\n\n${ASSERTION_USAGE}\n`);
    return 2;
  }
  const text = await readFile(values.key, 'utf8');
  const trimmed = text.trim();
  const privateKey: JWK | string = trimmed.startsWith('{') ? (JSON.parse(trimmed) as JWK) : text;
  const kid = values.kid ?? (typeof privateKey === 'object' && typeof privateKey.kid === 'string' ? privateKey.kid : undefined);
  const lifetime = values.lifetime === undefined ? undefined : Number(values.lifetime);
  if (lifetime !== undefined && (!Number.isInteger(lifetime) || lifetime < 1)) {
    process.stderr.write('--lifetime must be a positive whole number of seconds\n');
    return 2;
  }
  const assertion = await signClientAssertion({
    clientId: values['client-id'],
    audience: values.audience,
    privateKey,
    ...(kid === undefined ? {} : { kid }),
    ...(values.alg === undefined ? {} : { alg: values.alg }),
    ...(lifetime === undefined ? {} : { lifetimeSeconds: lifetime }),
  });
  process.stdout.write(`${assertion}\n`);
  return 0;
}
