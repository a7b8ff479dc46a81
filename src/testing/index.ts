/**
 * The integrator test toolkit: a throw-away PKI for mutual TLS (RFC 8705) and client assertions
 * for `private_key_jwt` (RFC 7523), correct by default and breakable one rule at a time for
 * negative tests. For tests, demos and the `serve` CLI — never for production keys.
 *
 * Each export's contract and `@example` live on its declaration, so editors show them here too.
 *
 * @example
 * import { createTestPki, signClientAssertion } from 'm2m-token-endpoint/testing';
 * const pki = await createTestPki();
 * const client = await pki.issueClientCertificate({ subject: 'CN=svc-a,O=Acme Corp,C=DE' });
 * const assertion = await signClientAssertion({ clientId: 'svc-a', audience: 'https://as.example', privateKey: client.privateKey });
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
