/**
 * The integrator test toolkit: a throw-away PKI for mutual TLS (RFC 8705) and client assertions
 * for `private_key_jwt` (RFC 7523), correct by default and breakable one rule at a time for
 * negative tests; one ready client per authentication method; PKCS#12 bundles for Java and
 * Postman. Runner-agnostic: plain async functions, usable from vitest, jest or `node:test`.
 * For tests, demos and the CLI — never for production keys.
 *
 * Each export's contract and `@example` live on its declaration, so editors show them here too.
 *
 * @example
 * import { createTestPki, signClientAssertion } from 'm2m-token-endpoint/testing';
 * const pki = await createTestPki();
 * const client = await pki.issueClientCertificate({ subject: 'CN=svc-a,O=Acme Corp,C=DE' });
 * const assertion = await signClientAssertion({ clientId: 'svc-a', audience: 'https://as.example', privateKey: client.privateKey });
 *
 * @example
 * import { createTestClients } from 'm2m-token-endpoint/testing';
 * const clients = await createTestClients(); // one client per authentication method
 * createTokenEndpoint({ issuer, clients: clients.metadata, signingKeys, mtls: { trustAnchors: clients.pki.trustAnchorsPem } });
 */
export {
  createTestPki,
  generateKeyPair,
  toCertificateJwk,
  toJwk,
  type CreateTestPkiOptions,
  type IssueCertificateOptions,
  type IssueClientCertificateOptions,
  type SelfSignedClientCertificateOptions,
  type TestExtendedKeyUsage,
  type TestIdentity,
  type TestKeyPair,
  type TestKeyType,
  type TestKeyUsage,
  type TestPki,
  type TestSubjectAltNames,
} from './pki.js';
export {
  assertionTypeUrn,
  signClientAssertion,
  type AssertionSignatureMode,
  type ClientAssertionKey,
  type SignClientAssertionOptions,
} from './assertions.js';
export {
  createTestClients,
  type CertificateTestClient,
  type CreateTestClientsOptions,
  type PrivateKeyJwtTestClient,
  type SecretTestClient,
  type TestClients,
  type TestClientsByMethod,
} from './clients.js';
export { canWritePkcs12, toPkcs12, type ToPkcs12Options } from './pkcs12.js';
