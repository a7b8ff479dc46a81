import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { invalidOption } from '../errors/errors.js';
import type { TestClientsByMethod } from '../testing/clients.js';
import { type DemoClient, type FixtureSet, generateFixtureSet } from '../testing/fixture-set.js';

export const FIXTURES_USAGE = `Usage: m2m-token-endpoint fixtures --out DIR [options]      (npm run fixtures -- --out DIR [options])

Writes a test PKI, a server certificate and one demo client per authentication method into DIR:
keys as PEM and JWK, certificate chains, PKCS#12 bundles (RSA identities), clients.json for
serve --clients, and a README.md listing every file with ready-to-paste serve and curl commands.

  --out DIR            where to write (created if missing; must be empty unless --force)
  --force              write into a non-empty DIR, replacing files of the same names
  --validity-days N    lifetime of every certificate in days (default 3650)
  --not-before DATE    start of validity, ISO 8601, e.g. 2025-01-01 (default: one hour ago)
  --hostname H         DNS name or IP address of the server certificate (repeatable;
                       default localhost, 127.0.0.1 and ::1)
  --p12-password PW    password of the PKCS#12 bundles (default changeit)
  --known-answers      also write known-answers.json: x5t#S256 and SPKI SHA-256 of every
                       certificate as computed by the openssl binary, and DN match vectors`;

const DEFAULT_HOSTNAMES = ['localhost', '127.0.0.1', '::1'];
const DEFAULT_PKCS12_PASSWORD = 'changeit';
const SERVE_PORT = 8443;
/** An extra certificate for the DN vectors: escapes, UTF-8, a multi-valued RDN, DC components. */
const DN_TEST_SUBJECT = String.raw`CN=Zoë Müller\, Esq.,OU=R&D+OU=Ops,O=Example\+Co,DC=example,DC=com`;
const DN_TEST_FILE = 'dn-test.cert.pem';

interface FixturesArguments {
  readonly out: string;
  readonly force: boolean;
  readonly validityDays: number | undefined;
  readonly notBefore: Date | undefined;
  readonly hostnames: readonly string[];
  readonly p12Password: string;
  readonly knownAnswers: boolean;
}

function parseFixturesArguments(argv: readonly string[]): FixturesArguments | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      'validity-days': { type: 'string' },
      'not-before': { type: 'string' },
      hostname: { type: 'string', multiple: true, default: [] },
      'p12-password': { type: 'string', default: DEFAULT_PKCS12_PASSWORD },
      'known-answers': { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  if (values.out === undefined || values.out === '') throw invalidOption('--out', 'is required: the directory to write the fixtures to');
  const validityDays = values['validity-days'] === undefined ? undefined : Number(values['validity-days']);
  if (validityDays !== undefined && !(Number.isInteger(validityDays) && validityDays > 0)) {
    throw invalidOption('--validity-days', 'must be a positive whole number of days');
  }
  const notBefore = values['not-before'] === undefined ? undefined : new Date(values['not-before']);
  if (notBefore !== undefined && Number.isNaN(notBefore.getTime())) {
    throw invalidOption('--not-before', 'must be an ISO 8601 date or date-time, e.g. 2025-01-01 or 2025-01-01T00:00:00Z');
  }
  return {
    out: values.out,
    force: values.force,
    validityDays,
    notBefore,
    hostnames: values.hostname.length > 0 ? values.hostname : DEFAULT_HOSTNAMES,
    p12Password: values['p12-password'],
    knownAnswers: values['known-answers'],
  };
}

/** Empty or missing is fine; anything else needs `--force`. */
async function isEmptyOrMissing(directory: string): Promise<boolean> {
  try {
    return (await readdir(directory)).length === 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTDIR') throw invalidOption('--out', `${directory} exists and is not a directory`);
    throw error;
  }
}

/**
 * `fixtures`: the demo set of `generateFixtureSet` in a directory of the user's choosing, with a
 * README that says what each file is for. Never overwrites a non-empty directory unless told to.
 */
export async function runFixturesCommand(argv: readonly string[]): Promise<number> {
  const args = parseFixturesArguments(argv);
  if (args === 'help') {
    process.stdout.write(`${FIXTURES_USAGE}\n`);
    return 0;
  }
  if (!args.force && !(await isEmptyOrMissing(args.out))) {
    process.stderr.write(`error: ${args.out} is not empty; refusing to overwrite it (pass --force to write into it anyway)\n`);
    return 1;
  }

  const fixtures = await generateFixtureSet(args.out, {
    serverHostnames: args.hostnames.filter((name) => isIP(name) === 0),
    serverIps: args.hostnames.filter((name) => isIP(name) !== 0),
    pkcs12Password: args.p12Password,
    ...(args.validityDays === undefined ? {} : { validityDays: args.validityDays }),
    ...(args.notBefore === undefined ? {} : { notBefore: args.notBefore }),
  });
  if (args.knownAnswers) await writeKnownAnswers(fixtures, commandLine(args));

  const shown = shownPath(args.out);
  const issuer = issuerFor(args.hostnames);
  await writeFile(join(args.out, 'README.md'), readme(fixtures, { args, shown, issuer }));
  process.stdout.write(
    [
      `Wrote the fixtures to ${args.out}; ${shown('README.md')} lists every file and the commands to use them.`,
      `PKCS#12 password: ${args.p12Password}`,
      '',
      'Start a token endpoint on them (from the repository directory):',
      `  ${serveCommand(fixtures, shown, issuer)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

// ---------------------------------------------------------------------------------------------
// README.md
// ---------------------------------------------------------------------------------------------

interface ReadmeContext {
  readonly args: FixturesArguments;
  /** A file of the set as the user named the directory: relative stays relative, for pasting. */
  readonly shown: (file: string) => string;
  readonly issuer: string;
}

function shownPath(out: string): (file: string) => string {
  const base = isAbsolute(out) ? out : relative(process.cwd(), resolve(out)) || '.';
  return (file) => join(base, file);
}

/** The server certificate names localhost by default; otherwise the first name given. */
function issuerFor(hostnames: readonly string[]): string {
  const host = hostnames.includes('localhost') ? 'localhost' : (hostnames.find((name) => isIP(name) === 0) ?? hostnames[0] ?? 'localhost');
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${SERVE_PORT}`;
}

/** POSIX shell quoting, only where needed, so the commands stay readable. */
function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function commandLine(args: FixturesArguments): string {
  const words = ['npm run fixtures --', '--out', sh(args.out), '--force'];
  if (args.notBefore) words.push('--not-before', args.notBefore.toISOString());
  if (args.validityDays !== undefined) words.push('--validity-days', String(args.validityDays));
  if (args.hostnames !== DEFAULT_HOSTNAMES) for (const name of args.hostnames) words.push('--hostname', sh(name));
  if (args.p12Password !== DEFAULT_PKCS12_PASSWORD) words.push('--p12-password', sh(args.p12Password));
  if (args.knownAnswers) words.push('--known-answers');
  return words.join(' ');
}

function serveCommand(fixtures: FixtureSet, shown: (file: string) => string, issuer: string): string {
  const file = (path: string): string => sh(shown(basename(path)));
  return [
    'npm run serve --',
    `--tls-cert ${file(fixtures.files.serverCertificate)}`,
    `--tls-key ${file(fixtures.files.serverKey)}`,
    `--client-ca ${file(fixtures.files.caCertificate)}`,
    `--clients ${file(fixtures.files.clients)}`,
    ...(issuer === `https://localhost:${SERVE_PORT}` ? [] : [`--issuer ${issuer}`]),
  ].join(' ');
}

/**
 * One curl command per way of authenticating as `client`: the token request of RFC 6749 §4.4
 * with the client's credentials (a PEM and, where there is one, a PKCS#12 variant for mTLS).
 */
function curlCommands(client: DemoClient, context: ReadmeContext, fixtures: FixtureSet): string[] {
  const file = (path: string): string => sh(context.shown(basename(path)));
  const tokenUrl = `${context.issuer}/token`;
  const ca = `--cacert ${file(fixtures.files.caCertificate)}`;
  const { client_id: clientId, token_endpoint_auth_method: method } = client.metadata;
  const grant = `-d grant_type=client_credentials`;
  switch (method) {
    case 'private_key_jwt':
      return [
        `curl ${ca} ${tokenUrl} ${grant} \\\n` +
          `  -d client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer \\\n` +
          `  -d "client_assertion=$(npm run -s assertion -- --key ${file(String(client.files.privateKeyJwk))} --client-id ${clientId} --audience ${context.issuer})"`,
      ];
    case 'client_secret_basic':
      return [`curl ${ca} ${tokenUrl} -u ${sh(`${clientId}:${String(client.clientSecret)}`)} ${grant}`];
    case 'client_secret_post':
      return [`curl ${ca} ${tokenUrl} ${grant} -d client_id=${clientId} -d client_secret=${sh(String(client.clientSecret))}`];
    default: {
      const commands = [
        `curl ${ca} --cert ${file(String(client.files.certificatePem))} --key ${file(String(client.files.privateKeyPem))} ${tokenUrl} ${grant} -d client_id=${clientId}`,
      ];
      if (client.files.pkcs12 !== undefined) {
        commands.push(
          `curl ${ca} --cert-type P12 --cert ${sh(`${context.shown(basename(client.files.pkcs12))}:${fixtures.pkcs12Password}`)} ${tokenUrl} ${grant} -d client_id=${clientId}`,
        );
      }
      return commands;
    }
  }
}

function identifiedBy(metadata: DemoClient['metadata']): string {
  if (metadata.tls_client_auth_subject_dn !== undefined) return `subject DN \`${metadata.tls_client_auth_subject_dn}\``;
  if (metadata.tls_client_auth_san_dns !== undefined) return `DNS SAN \`${metadata.tls_client_auth_san_dns}\``;
  switch (metadata.token_endpoint_auth_method) {
    case 'private_key_jwt':
      return 'signed assertion, ES256 key registered in `jwks`';
    case 'self_signed_tls_client_auth':
      return 'its self-signed certificate, registered in `jwks.x5c`';
    default:
      return 'shared secret (registered as a hash)';
  }
}

/** The in-memory client behind a demo client of the set. */
function testClientOf(client: DemoClient, fixtures: FixtureSet): TestClientsByMethod[keyof TestClientsByMethod] | undefined {
  return Object.values(fixtures.testClients.byMethod).find((candidate) => candidate.clientId === client.metadata.client_id);
}

function keyTypeOf(client: DemoClient, fixtures: FixtureSet): string {
  const testClient = testClientOf(client, fixtures);
  if (testClient === undefined) return '';
  if ('identity' in testClient) return testClient.identity.keyType;
  return 'alg' in testClient ? `ec-p256 (${testClient.alg})` : '';
}

function isIssuedByCa(client: DemoClient, fixtures: FixtureSet): boolean {
  const testClient = testClientOf(client, fixtures);
  return testClient !== undefined && 'identity' in testClient && testClient.identity.chainPem !== testClient.identity.certificatePem;
}

function readme(fixtures: FixtureSet, context: ReadmeContext): string {
  const { args, shown } = context;
  const name = (path: string): string => `\`${basename(path)}\``;
  const server = fixtures.pki.server.certificate;
  const fileRows: string[] = [
    `| \`ca.pem\` | root CA certificate (RSA): the trust anchor — \`serve --client-ca\`, \`curl --cacert\` |`,
    `| \`intermediate-ca.pem\` | intermediate CA certificate (RSA, pathLength 0); it issued the server and client certificates |`,
    `| \`server.cert.pem\`, \`server.key.pem\` | server certificate (EC P-256) followed by the intermediate, and its key — \`serve --tls-cert\`, \`--tls-key\` |`,
    `| \`clients.json\` | metadata of every demo client (public keys, secret hashes, certificate identities) — \`serve --clients\` |`,
  ];
  for (const client of fixtures.clients) {
    const files = client.files;
    const id = client.metadata.client_id;
    const forCurl = files.certificatePem !== undefined;
    if (files.certificatePem !== undefined) {
      const what = isIssuedByCa(client, fixtures) ? 'certificate followed by the intermediate' : 'self-signed certificate';
      fileRows.push(`| ${name(files.certificatePem)} | ${id}: ${what} — \`curl --cert\` |`);
    }
    if (files.privateKeyPem !== undefined) {
      fileRows.push(`| ${name(files.privateKeyPem)} | ${id}: private key, PKCS#8 PEM — ${forCurl ? '`curl --key`' : '`assertion --key`'} |`);
    }
    if (files.privateKeyJwk !== undefined) {
      fileRows.push(`| ${name(files.privateKeyJwk)} | ${id}: the same private key as a JWK${forCurl ? '' : ' (with `kid` and `alg`) — `assertion --key`'} |`);
    }
    if (files.pkcs12 !== undefined) fileRows.push(`| ${name(files.pkcs12)} | ${id}: key, certificate and intermediate as PKCS#12, password \`${fixtures.pkcs12Password}\` — Java, Postman, \`curl --cert-type P12\` |`);
  }
  if (args.knownAnswers) {
    fileRows.push(`| \`${DN_TEST_FILE}\` | a certificate for the DN vectors: escaped characters, UTF-8, a multi-valued RDN |`);
    fileRows.push(`| \`known-answers.json\` | test vectors: \`x5t#S256\` and SPKI SHA-256 of every certificate above as computed by OpenSSL, and DN match / no-match pairs |`);
  }
  fileRows.push('| `README.md` | this file |');

  const clientRows = fixtures.clients.map((client) => {
    const { client_id: id, token_endpoint_auth_method: method } = client.metadata;
    const credential = client.clientSecret === undefined ? keyTypeOf(client, fixtures) : `secret \`${client.clientSecret}\``;
    return `| \`${id}\` | \`${method}\` | ${identifiedBy(client.metadata)} | ${credential} |`;
  });

  const curl = fixtures.clients.flatMap((client) => [
    `# ${client.metadata.client_id} (${client.metadata.token_endpoint_auth_method})`,
    ...curlCommands(client, context, fixtures),
    '',
  ]);
  const p12Files = fixtures.clients.flatMap((client) => (client.files.pkcs12 === undefined ? [] : [shown(basename(client.files.pkcs12))]));
  const p12Example = sh(p12Files[0] ?? shown('client.p12'));

  return `# m2m-token-endpoint demo fixtures

A throw-away PKI and one demo client per client-authentication method, written by
\`m2m-token-endpoint fixtures\`. **For tests and demos only: every key and secret here is
public.**

- Certificates valid from ${new Date(server.validFrom).toISOString()} to ${new Date(server.validTo).toISOString()}.
- Server certificate for ${args.hostnames.map((hostname) => `\`${hostname}\``).join(', ')}.
- PKCS#12 password: \`${fixtures.pkcs12Password}\`.

## Files

| file | what it is |
| --- | --- |
${fileRows.join('\n')}

## Clients

Every client is registered with scope \`${fixtures.clients[0]?.metadata.scope ?? ''}\`; the mTLS clients get
certificate-bound tokens (RFC 8705 §3).

| client_id | method | identified by | key / secret |
| --- | --- | --- | --- |
${clientRows.join('\n')}

## Start a token endpoint

From the repository directory (or with \`npx m2m-token-endpoint serve\` where the package is installed):

\`\`\`sh
${serveCommand(fixtures, shown, context.issuer)}
\`\`\`

## Get a token

With the server above running; from the repository directory, because the private_key_jwt
command mints its assertion with \`npm run assertion\`.

\`\`\`sh
${curl.join('\n').trimEnd()}
\`\`\`

## PKCS#12 bundles

\`\`\`sh
openssl pkcs12 -info -in ${p12Example} -passin pass:${sh(fixtures.pkcs12Password)} -noout
keytool -list -keystore ${p12Example} -storetype PKCS12 -storepass ${sh(fixtures.pkcs12Password)}
\`\`\`

In Postman: Settings → Certificates → Add certificate, host \`localhost:${SERVE_PORT}\`, PFX file, the
password above; add \`ca.pem\` as the CA certificate. Only the RSA identities have a \`.p12\`:
node-forge, which writes them, handles RSA keys only — the EC and Ed25519 identities are PEM only.

## Regenerate

\`\`\`sh
${commandLine(args)}
\`\`\`
${args.knownAnswers ? '\nIn this repository: `npm run fixtures:regenerate`. The tests in `test/unit/known-answers.test.ts` check\nthe library against `known-answers.json`, whose hashes OpenSSL computed when the set was written.\n' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// known-answers.json
// ---------------------------------------------------------------------------------------------

interface DnVector {
  readonly registered: string;
  readonly certificate: string;
  readonly match: boolean;
  readonly why: string;
}

/**
 * DN pairs whose expected result follows from RFC 4517 §4.2.15 distinguishedNameMatch with
 * RFC 4518 string preparation: case and insignificant spaces never matter, RDN order always does,
 * the order of values inside a multi-valued RDN does not.
 */
function dnVectors(): DnVector[] {
  const dnClient = 'demo-tls-client-auth-dn.cert.pem';
  const registered = 'CN=demo-tls-client-auth-dn,OU=Payments,O=Demo Corp,C=DE';
  const vectors: [string, string, boolean, string][] = [
    [registered, dnClient, true, 'as registered in clients.json'],
    ['cn=DEMO-TLS-CLIENT-AUTH-DN,ou=PAYMENTS,o=demo corp,c=de', dnClient, true, 'attribute names and values in another case (caseIgnoreMatch)'],
    ['CN=demo-tls-client-auth-dn, OU=Payments, O=Demo Corp, C=DE', dnClient, true, 'a space after each comma'],
    ['CN = demo-tls-client-auth-dn , OU = Payments , O = Demo Corp , C = DE', dnClient, true, 'spaces around "=" and ","'],
    ['CN=demo-tls-client-auth-dn,OU=Payments,O=Demo   Corp,C=DE', dnClient, true, 'a run of inner spaces (RFC 4518 §2.6.1 insignificant space)'],
    [String.raw`CN=demo-tls-client-auth-dn,OU=Payments,O=\ Demo Corp\ ,C=DE`, dnClient, true, 'escaped leading and trailing spaces are insignificant'],
    [String.raw`CN=demo-tls-client-auth-dn,OU=Payments,O=Demo\20Corp,C=DE`, dnClient, true, 'a hex-escaped space'],
    ['2.5.4.3=demo-tls-client-auth-dn,2.5.4.11=Payments,2.5.4.10=Demo Corp,2.5.4.6=DE', dnClient, true, 'attribute types as dotted OIDs'],
    ['commonName=demo-tls-client-auth-dn,organizationalUnitName=Payments,organizationName=Demo Corp,countryName=DE', dnClient, true, 'long attribute names'],
    ['C=DE,O=Demo Corp,OU=Payments,CN=demo-tls-client-auth-dn', dnClient, false, 'RDNs reversed (the order of `openssl x509 -subject` without -nameopt RFC2253)'],
    ['CN=demo-tls-client-auth-dn,O=Demo Corp,OU=Payments,C=DE', dnClient, false, 'two RDNs swapped'],
    ['CN=demo-tls-client-auth-dn,O=Demo Corp,C=DE', dnClient, false, 'an RDN missing'],
    ['CN=demo-tls-client-auth-dn,OU=Payments,O=Demo Corp,L=Berlin,C=DE', dnClient, false, 'an extra RDN'],
    ['CN=demo-tls-client-auth-dn+OU=Payments,O=Demo Corp,C=DE', dnClient, false, 'two RDNs merged into one multi-valued RDN'],
    ['CN=demo-tls-client-auth-dn,OU=Payments,O=DemoCorp,C=DE', dnClient, false, 'an inner space removed'],
    ['CN=demo-tls-client-auth-dn-2,OU=Payments,O=Demo Corp,C=DE', dnClient, false, 'another CN'],
    [registered, 'demo-tls-client-auth-san.cert.pem', false, "another client's certificate"],
    ['cn = Demo-TLS-Client-Auth-SAN', 'demo-tls-client-auth-san.cert.pem', true, 'single RDN, case and spaces'],
    ['CN=m2m-token-endpoint demo Root CA,O=m2m-token-endpoint demo PKI', 'ca.pem', true, 'the root CA subject'],
    ['CN=m2m-token-endpoint demo Root CA,O=m2m-token-endpoint demo PKI', 'intermediate-ca.pem', false, "the intermediate's issuer, not its subject"],
    ['O=m2m-token-endpoint demo PKI,CN=m2m-token-endpoint demo Root CA', 'ca.pem', false, 'RDNs reversed'],
    [DN_TEST_SUBJECT, DN_TEST_FILE, true, 'as issued: escaped "," and "+", UTF-8, a multi-valued RDN'],
    [String.raw`cn=ZOË MÜLLER\, ESQ.,ou=ops+ou=r&d,o=EXAMPLE\+CO,dc=Example,dc=Com`, DN_TEST_FILE, true, 'non-ASCII case folding; values of a multi-valued RDN in another order'],
    [String.raw`CN=Zo\C3\AB M\C3\BCller\2c Esq.,OU=R&D+OU=Ops,O=Example\2BCo,DC=example,DC=com`, DN_TEST_FILE, true, 'UTF-8 and specials as hex escapes'],
    [String.raw`CN=Zoe` + '\u0308' + String.raw` Mu` + '\u0308' + String.raw`ller\, Esq.,OU=R&D+OU=Ops,O=Example\+Co,DC=example,DC=com`, DN_TEST_FILE, true, 'decomposed umlauts (Unicode NFKC)'],
    [String.raw`CN=Zoë Müller\, Esq.,OU=R&D,OU=Ops,O=Example\+Co,DC=example,DC=com`, DN_TEST_FILE, false, 'the multi-valued RDN split in two'],
    [String.raw`CN=Zoë Müller\, Esq.,OU=R&D+OU=Ops,O=Example\+Co,DC=com,DC=example`, DN_TEST_FILE, false, 'DC components reversed'],
    [String.raw`CN=Zoe Muller\, Esq.,OU=R&D+OU=Ops,O=Example\+Co,DC=example,DC=com`, DN_TEST_FILE, false, 'diacritics are not folded away'],
  ];
  return vectors.map(([dn, certificate, match, why]) => ({ registered: dn, certificate, match, why }));
}

function openssl(args: readonly string[], input?: Buffer): Buffer {
  const result = spawnSync('openssl', args, { ...(input === undefined ? {} : { input }), maxBuffer: 1024 * 1024 });
  if (result.error) throw new Error(`--known-answers needs the openssl binary: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr.toString().trim()}`);
  return result.stdout;
}

/** Facts about the first certificate of `file`, every one computed by OpenSSL, none by this library. */
function opensslFacts(file: string): { x5tS256: string; spkiSha256: string; fingerprint: string; subject: string } {
  const sha256 = (data: Buffer): Buffer => {
    const digest = openssl(['dgst', '-sha256', '-binary'], data);
    if (digest.length !== 32) throw new Error(`openssl dgst returned ${digest.length} bytes, not 32`);
    return digest;
  };
  const der = openssl(['x509', '-in', file, '-outform', 'DER']);
  const spki = openssl(['pkey', '-pubin', '-outform', 'DER'], openssl(['x509', '-in', file, '-noout', '-pubkey']));
  const text = (args: readonly string[], prefix: RegExp): string =>
    openssl(['x509', '-in', file, '-noout', ...args]).toString('utf8').trim().replace(prefix, '');
  return {
    x5tS256: sha256(der).toString('base64url'),
    spkiSha256: sha256(spki).toString('base64url'),
    fingerprint: text(['-fingerprint', '-sha256'], /^sha256 Fingerprint=/i),
    subject: text(['-subject', '-nameopt', 'RFC2253'], /^subject=/),
  };
}

async function writeKnownAnswers(fixtures: FixtureSet, command: string): Promise<void> {
  const dnTest = await fixtures.pki.issueClientCertificate({ subject: DN_TEST_SUBJECT, keyType: 'ec-p384' });
  await writeFile(join(fixtures.directory, DN_TEST_FILE), dnTest.chainPem);

  const certificates: [string, string][] = [
    ['root CA (RSA)', 'ca.pem'],
    ['intermediate CA (RSA)', 'intermediate-ca.pem'],
    ['server (ec-p256)', 'server.cert.pem'],
    ...fixtures.clients.flatMap((client): [string, string][] =>
      client.files.certificatePem === undefined ? [] : [[`${client.metadata.client_id} (${keyTypeOf(client, fixtures)})`, basename(client.files.certificatePem)]],
    ),
    ['DN test vector (ec-p384)', DN_TEST_FILE],
  ];
  const facts = certificates.map(([name, file]) => {
    const fact = opensslFacts(join(fixtures.directory, file));
    return { name, file, 'x5t#S256': fact.x5tS256, spkiSha256: fact.spkiSha256, opensslSha256Fingerprint: fact.fingerprint, opensslSubjectRfc2253: fact.subject };
  });
  const opensslRenderings: DnVector[] = facts.map((fact) => ({
    registered: fact.opensslSubjectRfc2253,
    certificate: fact.file,
    match: true,
    why: "OpenSSL's own RFC 2253 rendering of the subject (openssl x509 -subject -nameopt RFC2253)",
  }));

  const knownAnswers = {
    about: [
      'Known-answer vectors for the certificates of this directory. Each entry names a PEM file; the certificate meant is its first block.',
      'x5t#S256 (RFC 8705 §3.1) = base64url(SHA-256(certificate DER)); spkiSha256 = base64url(SHA-256(DER SubjectPublicKeyInfo)).',
      'Hashes, fingerprints and subjects were computed by the openssl binary, independently of this library, when the set was generated.',
      'distinguishedNameMatch: registered tls_client_auth_subject_dn (RFC 4514 string) against the subject of the certificate; match is the expected result (RFC 4517 §4.2.15).',
    ],
    generatedBy: { command, openssl: openssl(['version']).toString('utf8').trim() },
    certificates: facts,
    distinguishedNameMatch: [...dnVectors(), ...opensslRenderings],
  };
  await writeFile(join(fixtures.directory, 'known-answers.json'), `${JSON.stringify(knownAnswers, null, 2)}\n`);
}
