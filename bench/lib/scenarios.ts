/**
 * Builds the endpoint under test and the plain requests of each scenario, as an adapter would
 * hand them to `endpoint.token()` (raw body bytes, the socket's DER certificate and intermediates).
 */
import { type KeyObject, constants, createHash, createPrivateKey, createPublicKey, hash, randomFillSync, sign, timingSafeEqual, verify } from 'node:crypto';
import type { JWK } from 'jose';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { EndpointRequest } from '../../src/core/request.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import type { ReplayStore } from '../../src/replay/replay-store.js';
import { createMemoryReplayStore, createTokenEndpoint } from './lib.js';
import { ASSERTION_TYPE, type AssertionSigner, createAssertionSigner } from './assertions.js';
import { type CertificateFixture, type Fixtures, PKJWT_ALG, type PkjwtAlg, type Scenario, publicJwk } from './fixtures.js';

export function formBody(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
}

export function pkjwtBody(clientId: string, assertion: string, scope: string): string {
  return formBody({ grant_type: 'client_credentials', scope, client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
}

/** Filler clients for the growth section: a mix of methods, each with its own metadata object. */
export function fillerClients(count: number, fixtures: Fixtures): ClientMetadata[] {
  const es256 = publicJwk(fixtures.pkjwtKeys.ES256);
  const secretHash = `sha256:${createHash('sha256').update('filler-secret-0123456789').digest('base64url')}`;
  const out: ClientMetadata[] = [];
  for (let index = 0; index < count; index++) {
    const clientId = `filler-${index}`;
    switch (index % 3) {
      case 0:
        out.push({ client_id: clientId, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...es256, kid: `filler-${index}-1` }] }, scope: fixtures.scope });
        break;
      case 1:
        out.push({ client_id: clientId, token_endpoint_auth_method: 'client_secret_basic', client_secret_hash: secretHash, scope: fixtures.scope });
        break;
      default:
        out.push({ client_id: clientId, token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: `filler-${index}.bench.test`, scope: fixtures.scope });
    }
  }
  return out;
}

export interface EndpointSetup {
  readonly registeredClients?: number;
  readonly replayStore?: ReplayStore;
}

/** The endpoint as an operator would configure it for these clients (defaults everywhere else). */
export function createBenchEndpoint(fixtures: Fixtures, setup: EndpointSetup = {}): TokenEndpoint {
  const registered = setup.registeredClients ?? fixtures.clients.length;
  const clients = [...fixtures.clients, ...fillerClients(Math.max(0, registered - fixtures.clients.length), fixtures)];
  return createTokenEndpoint({
    issuer: fixtures.issuer,
    defaultAudience: fixtures.audience,
    signingKeys: [{ privateKey: fixtures.signingJwk }],
    clients,
    mtls: { trustAnchors: fixtures.trustAnchorsPem },
    // Room for every assertion a run spends (the default holds 1,000,000 too).
    replayStore: setup.replayStore ?? createMemoryReplayStore({ maxEntries: 4_000_000 }),
  });
}

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', host: 'as.bench.test' } as const;

/** What a TLS adapter hands over for a keep-alive connection: the same DER buffers on every request. */
export function socketCertificate(certificate: CertificateFixture): NonNullable<EndpointRequest['tlsClientCertificate']> {
  return {
    certificate: Buffer.from(certificate.leafDer, 'base64'),
    intermediates: certificate.intermediatesDer.map((der) => Buffer.from(der, 'base64')),
  };
}

export function certificateOf(fixtures: Fixtures, scenario: Scenario): CertificateFixture | undefined {
  if (scenario === 'mtls-dn') return fixtures.certificates.dn;
  if (scenario === 'mtls-san') return fixtures.certificates.san;
  if (scenario === 'self-signed') return fixtures.certificates.selfSigned;
  return undefined;
}

/**
 * The requests of one scenario. Requests without a single-use part are reused; private_key_jwt
 * requests are built from fresh assertions (`prepare(count)` before the clock starts).
 */
export interface ScenarioRequests {
  readonly scenario: Scenario;
  /** Fresh requests for the next `count` calls of `next()`. */
  prepare(count: number): void;
  /** How many `next()` calls remain before `prepare` is needed (Infinity when reusable). */
  remaining(): number;
  next(): EndpointRequest;
}

export function scenarioRequests(fixtures: Fixtures, scenario: Scenario, audience = fixtures.issuer): ScenarioRequests {
  const alg = PKJWT_ALG[scenario];
  if (alg !== undefined) {
    const signer = createAssertionSigner(fixtures.pkjwtKeys[alg]);
    let queue: EndpointRequest[] = [];
    let position = 0;
    return {
      scenario,
      prepare(count) {
        queue = signer.sign(scenario, audience, count).map((assertion) => ({
          method: 'POST',
          headers: FORM_HEADERS,
          body: Buffer.from(pkjwtBody(scenario, assertion, fixtures.scope)),
          peerAddress: '127.0.0.1',
        }));
        position = 0;
      },
      remaining: () => queue.length - position,
      next: () => {
        const request = queue[position++];
        if (!request) throw new Error(`${scenario}: no prepared assertion left`);
        return request;
      },
    };
  }
  let request: EndpointRequest;
  if (scenario === 'secret-basic') {
    const credentials = Buffer.from(`${encodeURIComponent(scenario)}:${encodeURIComponent(fixtures.secret)}`).toString('base64');
    request = {
      method: 'POST',
      headers: { ...FORM_HEADERS, authorization: `Basic ${credentials}` },
      body: Buffer.from(formBody({ grant_type: 'client_credentials', scope: fixtures.scope })),
      peerAddress: '127.0.0.1',
    };
  } else {
    const certificate = certificateOf(fixtures, scenario) as CertificateFixture;
    request = {
      method: 'POST',
      headers: FORM_HEADERS,
      body: Buffer.from(formBody({ grant_type: 'client_credentials', scope: fixtures.scope, client_id: scenario })),
      tlsClientCertificate: socketCertificate(certificate),
      peerAddress: '127.0.0.1',
    };
  }
  return { scenario, prepare() {}, remaining: () => Number.POSITIVE_INFINITY, next: () => request };
}

/**
 * The crypto ceiling: exactly the node:crypto work a scenario cannot avoid, with nothing else —
 * verify the assertion (private_key_jwt), hash the certificate (mTLS: x5t#S256; chain and
 * identity decisions are cached per certificate), hash and compare the secret, and always sign
 * one ES256 access token (with its random jti). One call = one request's worth.
 */
export function cryptoCeiling(fixtures: Fixtures, scenario: Scenario): () => void {
  const signingKey = createPrivateKey({ key: fixtures.signingJwk as JWK & { kty: string }, format: 'jwk' });
  const signOptions = { key: signingKey, dsaEncoding: 'ieee-p1363' } as const;
  // A signing input the size of a real token (header.claims of a bound token).
  const tokenInput = Buffer.from(`${'h'.repeat(70)}.${'p'.repeat(330)}`);
  // The token's jti: 128 bits from the CSPRNG, drawn 4 KiB at a time (as randomUUID does, and
  // the endpoint's randomId), so the ceiling pays what the cheapest unique id costs.
  const randomPool = Buffer.allocUnsafe(4096);
  let randomOffset = randomPool.length;
  const signToken = (): void => {
    if (randomOffset === randomPool.length) {
      randomFillSync(randomPool);
      randomOffset = 0;
    }
    randomPool.toString('base64url', randomOffset, (randomOffset += 16));
    sign('sha256', tokenInput, signOptions);
  };
  const alg = PKJWT_ALG[scenario];
  if (alg !== undefined) {
    const signer: AssertionSigner = createAssertionSigner(fixtures.pkjwtKeys[alg]);
    const assertions = signer.sign(scenario, fixtures.issuer, 64).map((jws) => {
      const dot = jws.lastIndexOf('.');
      return { input: Buffer.from(jws.slice(0, dot)), signature: Buffer.from(jws.slice(dot + 1), 'base64url') };
    });
    const publicKey = createPrivateKey({ key: fixtures.pkjwtKeys[alg] as JWK & { kty: string }, format: 'jwk' });
    const verifyKey = verifyOptions(alg, publicKey);
    let index = 0;
    return () => {
      const assertion = assertions[index++ & 63] as { input: Buffer; signature: Buffer };
      if (!verify(verifyKey.hash, assertion.input, verifyKey.key, assertion.signature)) throw new Error('ceiling: signature did not verify');
      signToken();
    };
  }
  // Digests the cheapest way node:crypto offers (one-shot `hash`, text output: a digest returned
  // as a native buffer costs a backing-store allocation, ~1 µs more).
  if (scenario === 'secret-basic') {
    const expected = createHash('sha256').update(fixtures.secret).digest();
    return () => {
      if (!timingSafeEqual(Buffer.from(hash('sha256', fixtures.secret, 'binary'), 'latin1'), expected)) throw new Error('ceiling: secret mismatch');
      signToken();
    };
  }
  const der = Buffer.from((certificateOf(fixtures, scenario) as CertificateFixture).leafDer, 'base64');
  return () => {
    hash('sha256', der, 'base64url');
    signToken();
  };
}

function verifyOptions(alg: PkjwtAlg, privateKey: KeyObject) {
  const key = createPublicKey(privateKey);
  switch (alg) {
    case 'ES256':
      return { hash: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'PS256':
      return { hash: 'sha256', key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case 'RS256':
      return { hash: 'sha256', key: { key } };
    case 'EdDSA':
      return { hash: null, key: { key } };
  }
}
