/**
 * A throw-away X.509 PKI for tests, demos and the `serve` CLI: a root CA, an optional
 * intermediate, a TLS server certificate and as many client certificates as a test needs — real
 * DER that Node's `X509Certificate`, OpenSSL and curl accept, so mTLS is exercised on the wire.
 *
 * Certificates are assembled by `@peculiar/x509` and signed with WebCrypto; keys are created with
 * `node:crypto` so every identity also carries a `KeyObject`, PKCS#8 PEM and JWKs.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5280 (certificate profile)
 * @see https://www.rfc-editor.org/rfc/rfc8705 (mutual TLS for OAuth 2.0)
 */
import {
  X509Certificate,
  createHash,
  createPublicKey,
  generateKeyPair as generateNodeKeyPair,
  randomBytes,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
import type * as X509 from '@peculiar/x509';
import { invalidOption } from '../errors/errors.js';

/**
 * Key algorithms a test identity can have. `rsa` is RSA 2048 unless `rsaBits` says otherwise.
 *
 * @example
 * await pki.issueClientCertificate({ subject: 'CN=svc-rsa', keyType: 'rsa' });
 */
export type TestKeyType = 'rsa' | 'ec-p256' | 'ec-p384' | 'ed25519';

/**
 * RFC 5280 §4.2.1.3 key usage bits, by their ASN.1 names.
 *
 * @example
 * await pki.issueCertificate({ subject: 'CN=odd CA', ca: true, keyUsage: ['digitalSignature'] }); // CA without keyCertSign
 */
export type TestKeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign';

/**
 * RFC 5280 §4.2.1.12 extended key usages relevant to TLS.
 *
 * @example
 * await pki.issueClientCertificate({ subject: 'CN=svc-a', extendedKeyUsage: ['serverAuth'] }); // wrong purpose
 */
export type TestExtendedKeyUsage = 'clientAuth' | 'serverAuth';

/**
 * Subject alternative names (RFC 5280 §4.2.1.6). `ip` takes IPv4 and IPv6 text forms; `uri` is
 * written as given (e.g. a SPIFFE ID).
 *
 * @example
 * const san: TestSubjectAltNames = { dns: ['svc-a.internal'], uri: ['spiffe://acme/svc-a'], ip: ['10.0.0.7', '2001:db8::7'] };
 */
export interface TestSubjectAltNames {
  readonly dns?: readonly string[] | undefined;
  readonly uri?: readonly string[] | undefined;
  readonly ip?: readonly string[] | undefined;
  readonly email?: readonly string[] | undefined;
}

/**
 * A certificate with its private key, in every shape the tests, the TLS stack and the client
 * metadata need.
 *
 * @example
 * const client = await pki.issueClientCertificate({ subject: 'CN=svc-a,O=Acme Corp,C=DE' });
 * https.request({ key: client.privateKeyPem, cert: client.chainPem, ca: pki.trustAnchorsPem });
 */
export interface TestIdentity {
  /** The leaf certificate alone, PEM. */
  readonly certificatePem: string;
  /** The certificate followed by its intermediates (never the root), PEM — what a TLS peer sends. */
  readonly chainPem: string;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  /** Parsed by `node:crypto`, the same parser the TLS socket hands out. */
  readonly certificate: X509Certificate;
  readonly der: Buffer;
  /** base64url(SHA-256(DER)), the RFC 8705 §3.1 `x5t#S256` confirmation value. */
  readonly x5tS256: string;
  readonly keyType: TestKeyType;
}

/**
 * Every knob of a certificate. Defaults are those of a well-formed leaf issued by the PKI's
 * issuing CA; each option exists so a negative test can break exactly one thing.
 *
 * @example
 * // An intermediate without the CA flag: chain validation must refuse what it signs.
 * await pki.issueCertificate({ subject: 'CN=not a CA', ca: false, keyUsage: ['keyCertSign'] });
 */
export interface IssueCertificateOptions {
  /**
   * RFC 4514 string, most specific RDN first (`CN=svc-a,O=Acme Corp,C=DE` is encoded as
   * C, O, CN). Multi-valued RDNs use `+` and keep the order written. Escapes: `\,` `\+` `\"`
   * `\\` `\;` `\<` `\>` `\=` `\#` `\ ` and `\XX` hex bytes (UTF-8); `#hex` is a raw BER value.
   * An empty string is an empty subject, which makes the SAN extension critical (RFC 5280 §4.2.1.6).
   */
  readonly subject: string;
  readonly san?: TestSubjectAltNames | undefined;
  /** Default: the PKI's key type. */
  readonly keyType?: TestKeyType | undefined;
  /** RSA modulus size; default 2048. Smaller sizes are for negative tests. */
  readonly rsaBits?: number | undefined;
  /** Default: one hour ago, so small clock skew between processes does not matter. */
  readonly notBefore?: Date | undefined;
  /** Default: now + the PKI's `validityDays`. */
  readonly notAfter?: Date | undefined;
  /** basicConstraints cA; default false. */
  readonly ca?: boolean | undefined;
  /** basicConstraints pathLenConstraint; omitted by default. */
  readonly pathLength?: number | undefined;
  /** Omit basicConstraints entirely (default false: every certificate carries it, critical). */
  readonly omitBasicConstraints?: boolean | undefined;
  /**
   * Key usage bits, critical; `false` omits the extension. Default: `keyCertSign, cRLSign` for
   * a CA, `digitalSignature` for an EC or Ed25519 leaf, plus `keyEncipherment` for an RSA leaf.
   */
  readonly keyUsage?: readonly TestKeyUsage[] | false | undefined;
  /** Extended key usages; `false` or absent omits the extension. */
  readonly extendedKeyUsage?: readonly TestExtendedKeyUsage[] | false | undefined;
  /** Who signs: another identity holding a private key, or `'self'`. Default: the PKI's issuing CA. */
  readonly issuer?: TestIdentity | 'self' | undefined;
}

/**
 * Options of {@link TestPki.issueClientCertificate}: a leaf, `clientAuth` unless told otherwise.
 *
 * @example
 * const options: IssueClientCertificateOptions = { subject: 'CN=svc-a', san: { dns: ['svc-a.internal'] }, extendedKeyUsage: false };
 */
export type IssueClientCertificateOptions = Omit<IssueCertificateOptions, 'ca' | 'pathLength' | 'omitBasicConstraints'>;

/**
 * Options of {@link TestPki.createSelfSignedClientCertificate} (RFC 8705 §2.2).
 *
 * @example
 * const options: SelfSignedClientCertificateOptions = { subject: 'CN=svc-b', keyType: 'ed25519' };
 */
export type SelfSignedClientCertificateOptions = Pick<
  IssueCertificateOptions,
  'subject' | 'san' | 'keyType' | 'rsaBits' | 'notBefore' | 'notAfter' | 'keyUsage' | 'extendedKeyUsage'
>;

/**
 * A root CA, an optional intermediate and a server certificate, plus factories for more.
 *
 * @example
 * const pki = await createTestPki();
 * const server = https.createServer({ key: pki.server.privateKeyPem, cert: pki.server.chainPem, ca: pki.trustAnchorsPem, requestCert: true });
 */
export interface TestPki {
  readonly root: TestIdentity;
  readonly intermediate: TestIdentity | undefined;
  /** The CA that signs by default: the intermediate if there is one, else the root. */
  readonly issuingCa: TestIdentity;
  /** `serverAuth`, SAN `localhost`, `127.0.0.1`, `::1` unless configured otherwise. */
  readonly server: TestIdentity;
  /** The root certificate, PEM: what a verifier trusts (`ca` for Node TLS, `-CAfile` for OpenSSL). */
  readonly trustAnchorsPem: string;
  /** Low level: every knob, for negative tests (expired, no CA flag, wrong EKU, …). */
  issueCertificate(options: IssueCertificateOptions): Promise<TestIdentity>;
  /** A leaf for `tls_client_auth` (RFC 8705 §2.1), `clientAuth` EKU by default. */
  issueClientCertificate(options: IssueClientCertificateOptions): Promise<TestIdentity>;
  /** A self-signed leaf for `self_signed_tls_client_auth` (RFC 8705 §2.2), `clientAuth` EKU by default. */
  createSelfSignedClientCertificate(options: SelfSignedClientCertificateOptions): Promise<TestIdentity>;
}

/**
 * @example
 * const pki = await createTestPki({ intermediate: false, keyType: 'rsa', serverHostnames: ['auth.test'] });
 */
export interface CreateTestPkiOptions {
  /** Issue leaves from an intermediate CA (default true), so chain building is exercised. */
  readonly intermediate?: boolean | undefined;
  /** Key type of the CAs and the server, and the default for leaves (default `ec-p256`). */
  readonly keyType?: TestKeyType | undefined;
  /** DNS SANs of the server certificate (default `['localhost']`). */
  readonly serverHostnames?: readonly string[] | undefined;
  /** IP SANs of the server certificate (default `['127.0.0.1', '::1']`). */
  readonly serverIps?: readonly string[] | undefined;
  /** Validity of every certificate not given explicit dates (default 3650 days). */
  readonly validityDays?: number | undefined;
  /** Start of every common name the PKI makes up (default `m2m-token-endpoint test`). */
  readonly commonNamePrefix?: string | undefined;
}

/** @example const { privateKey, publicKey } = await generateKeyPair('ec-p384'); */
export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const DEFAULT_VALIDITY_DAYS = 3650;
const DEFAULT_RSA_BITS = 2048;
const ONE_HOUR_MS = 3_600_000;
const ONE_DAY_MS = 86_400_000;

const testKeyTypes: readonly TestKeyType[] = ['rsa', 'ec-p256', 'ec-p384', 'ed25519'];

const generateKeyPairAsync = promisify(generateNodeKeyPair);

/**
 * Generates a key pair of the given type with `node:crypto`.
 *
 * @example
 * const weak = await generateKeyPair('rsa', { rsaBits: 1024 }); // for "RSA ≥ 2048 bits" tests
 */
export async function generateKeyPair(
  keyType: TestKeyType,
  options: { readonly rsaBits?: number | undefined } = {},
): Promise<TestKeyPair> {
  switch (keyType) {
    case 'rsa': {
      const modulusLength = options.rsaBits ?? DEFAULT_RSA_BITS;
      if (!Number.isInteger(modulusLength) || modulusLength < 512) {
        throw invalidOption('rsaBits', `must be an integer of at least 512 (got ${String(modulusLength)})`);
      }
      return generateKeyPairAsync('rsa', { modulusLength, publicExponent: 0x10001 });
    }
    case 'ec-p256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'ec-p384':
      return generateKeyPairAsync('ec', { namedCurve: 'P-384' });
    case 'ed25519':
      return generateKeyPairAsync('ed25519');
    default:
      throw invalidOption('keyType', `must be one of ${testKeyTypes.join(', ')} (got ${String(keyType)})`);
  }
}

/**
 * The public JWK of a key. Given a private key, only its public part is exported, so a private
 * JWK never leaks into a JWK Set by accident.
 *
 * @example
 * const jwks = { keys: [{ ...toJwk(identity.publicKey), kid: 'k1', use: 'sig' }] };
 */
export function toJwk(key: KeyObject): JWK {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.type !== 'public') throw invalidOption('key', 'must be an asymmetric key');
  return publicKey.export({ format: 'jwk' }) as JWK;
}

/**
 * The identity's public JWK with its certificate chain in `x5c` (leaf first, base64 DER) and
 * `x5t#S256`: the JWK Set entry a `self_signed_tls_client_auth` client registers (RFC 8705 §2.2).
 *
 * @example
 * const selfSigned = await pki.createSelfSignedClientCertificate({ subject: 'CN=svc-b' });
 * const jwks = { keys: [toCertificateJwk(selfSigned, { kid: 'svc-b-2025' })] };
 */
export function toCertificateJwk(identity: TestIdentity, options: { readonly kid?: string | undefined } = {}): JWK {
  const x5c = pemCertificatesToDer(identity.chainPem).map((der) => der.toString('base64'));
  return {
    ...identity.publicJwk,
    ...(options.kid === undefined ? {} : { kid: options.kid }),
    x5c,
    'x5t#S256': identity.x5tS256,
  };
}

/**
 * Creates a root CA, an intermediate CA (unless `intermediate: false`) and a server certificate.
 * Nothing is written to disk; write the PEMs where a tool needs files.
 *
 * @example
 * const pki = await createTestPki();
 * const client = await pki.issueClientCertificate({ subject: 'CN=svc-a,O=Acme Corp,C=DE', san: { uri: ['spiffe://acme/svc-a'] } });
 * const expired = await pki.issueClientCertificate({ subject: 'CN=old', notBefore: new Date(Date.now() - 2 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
 */
export async function createTestPki(options: CreateTestPkiOptions = {}): Promise<TestPki> {
  const keyType = options.keyType ?? 'ec-p256';
  if (!testKeyTypes.includes(keyType)) {
    throw invalidOption('options.keyType', `must be one of ${testKeyTypes.join(', ')} (got ${String(keyType)})`);
  }
  const validityDays = options.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!(validityDays > 0)) {
    throw invalidOption('options.validityDays', `must be a positive number (got ${String(validityDays)})`);
  }
  const prefix = options.commonNamePrefix ?? 'm2m-token-endpoint test';
  const organization = `O=${escapeDnValue(prefix)} PKI`;

  const issue = (issuer: TestIdentity | 'self', certificate: IssueCertificateOptions): Promise<TestIdentity> =>
    issueIdentity({ ...certificate, issuer: certificate.issuer ?? issuer }, { keyType, validityDays });

  const root = await issue('self', {
    subject: `CN=${escapeDnValue(prefix)} Root CA,${organization}`,
    ca: true,
  });
  const intermediate =
    options.intermediate === false
      ? undefined
      : await issue(root, {
          subject: `CN=${escapeDnValue(prefix)} Intermediate CA,${organization}`,
          ca: true,
          // The intermediate signs leaves only: a leaf posing as a CA must fail path validation.
          pathLength: 0,
        });
  const issuingCa = intermediate ?? root;
  const server = await issue(issuingCa, {
    subject: `CN=${escapeDnValue(prefix)} Server,${organization}`,
    san: {
      dns: options.serverHostnames ?? ['localhost'],
      ip: options.serverIps ?? ['127.0.0.1', '::1'],
    },
    extendedKeyUsage: ['serverAuth'],
  });

  return Object.freeze({
    root,
    intermediate,
    issuingCa,
    server,
    trustAnchorsPem: root.certificatePem,
    issueCertificate: (certificate: IssueCertificateOptions) => issue(issuingCa, certificate),
    issueClientCertificate: (certificate: IssueClientCertificateOptions) =>
      issue(issuingCa, {
        ...certificate,
        extendedKeyUsage: certificate.extendedKeyUsage ?? ['clientAuth'],
      }),
    createSelfSignedClientCertificate: (certificate: SelfSignedClientCertificateOptions) =>
      issue('self', {
        ...certificate,
        issuer: 'self',
        extendedKeyUsage: certificate.extendedKeyUsage ?? ['clientAuth'],
      }),
  });
}

interface PkiDefaults {
  readonly keyType: TestKeyType;
  readonly validityDays: number;
}

async function issueIdentity(options: IssueCertificateOptions, defaults: PkiDefaults): Promise<TestIdentity> {
  const x509 = await loadX509();
  const keyType = options.keyType ?? defaults.keyType;
  const isCa = options.ca ?? false;
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - ONE_HOUR_MS);
  const notAfter = options.notAfter ?? new Date(now + defaults.validityDays * ONE_DAY_MS);
  if (!(notBefore.getTime() <= notAfter.getTime())) {
    throw invalidOption('notAfter', 'must not be before notBefore');
  }

  const subjectRdns = parseDistinguishedName(options.subject);
  const subject = new x509.Name(toX509NameJson(subjectRdns));
  const keys = await generateKeyPair(keyType, { rsaBits: options.rsaBits });
  const subjectSpki = keys.publicKey.export({ type: 'spki', format: 'der' });

  // `undefined` means self-signed: the factory in createTestPki always fills in its issuing CA.
  const issuer = options.issuer === 'self' ? undefined : options.issuer;
  const signer = issuer === undefined ? { privateKey: keys.privateKey, keyType } : signerOf(issuer);
  const issuerCertificate = issuer === undefined ? undefined : new x509.X509Certificate(issuer.der);

  const subjectKeyIdentifier = await x509.SubjectKeyIdentifierExtension.create(subjectSpki);
  const extensions: X509.Extension[] = [];
  if (options.omitBasicConstraints !== true) {
    extensions.push(new x509.BasicConstraintsExtension(isCa, options.pathLength, true));
  }
  const keyUsage = options.keyUsage ?? defaultKeyUsage(isCa, keyType);
  if (keyUsage !== false) {
    extensions.push(new x509.KeyUsagesExtension(toKeyUsageFlags(x509, keyUsage), true));
  }
  if (options.extendedKeyUsage !== undefined && options.extendedKeyUsage !== false) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(options.extendedKeyUsage.map((usage) => x509.ExtendedKeyUsage[usage])),
    );
  }
  const generalNames = toGeneralNames(options.san);
  if (generalNames.length > 0) {
    // RFC 5280 §4.2.1.6: with an empty subject the identity lives in the SAN, which is then critical.
    extensions.push(new x509.SubjectAlternativeNameExtension(generalNames, subjectRdns.length === 0));
  }
  extensions.push(subjectKeyIdentifier);
  // The authority key identifier lets OpenSSL pick the right issuer when several share a name.
  const issuerKeyId = issuerCertificate?.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  extensions.push(
    issuerKeyId !== undefined
      ? new x509.AuthorityKeyIdentifierExtension(issuerKeyId)
      : issuerCertificate !== undefined
        ? await x509.AuthorityKeyIdentifierExtension.create(issuerCertificate.publicKey)
        : new x509.AuthorityKeyIdentifierExtension(subjectKeyIdentifier.keyId),
  );

  const signing = webCryptoSigningParameters(signer.keyType);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    signer.privateKey.export({ type: 'pkcs8', format: 'der' }),
    signing.importAlgorithm,
    false,
    ['sign'],
  );
  const generated = await x509.X509CertificateGenerator.create({
    // RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 octets. 16 random bytes with the first
    // forced into 0x01–0x7f, so DER keeps all 16 (a leading zero would be stripped) and no pad is needed.
    serialNumber: randomSerialNumber(),
    subject,
    issuer: issuerCertificate?.subjectName ?? subject,
    notBefore,
    notAfter,
    publicKey: subjectSpki,
    signingKey,
    signingAlgorithm: signing.signatureAlgorithm,
    extensions,
  });

  const der = Buffer.from(generated.rawData);
  const issuerChainPem = issuer === undefined || isSelfSigned(issuer.certificate) ? '' : issuer.chainPem;
  return buildIdentity(der, keys, keyType, issuerChainPem);
}

function buildIdentity(der: Buffer, keys: TestKeyPair, keyType: TestKeyType, issuerChainPem: string): TestIdentity {
  const certificate = new X509Certificate(der);
  const certificatePem = certificate.toString();
  return Object.freeze({
    certificatePem,
    chainPem: certificatePem + issuerChainPem,
    privateKeyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    publicJwk: toJwk(keys.publicKey),
    privateJwk: keys.privateKey.export({ format: 'jwk' }) as JWK,
    certificate,
    der,
    x5tS256: createHash('sha256').update(der).digest('base64url'),
    keyType,
  });
}

function signerOf(issuer: TestIdentity): { privateKey: KeyObject; keyType: TestKeyType } {
  // Accepts identities assembled elsewhere (e.g. from PEM files): trust the key, not the label.
  return { privateKey: issuer.privateKey, keyType: keyTypeOf(issuer.privateKey) };
}

function keyTypeOf(key: KeyObject): TestKeyType {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'rsa';
    case 'ed25519':
      return 'ed25519';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ec-p256';
      if (curve === 'secp384r1') return 'ec-p384';
      throw invalidOption('issuer', `EC curve ${String(curve)} is not supported for signing certificates`);
    }
    default:
      throw invalidOption('issuer', `key type ${String(key.asymmetricKeyType)} is not supported for signing certificates`);
  }
}

/**
 * A self-signed issuer is a trust anchor and stays out of `chainPem`. Not `checkIssued`: OpenSSL
 * also demands keyCertSign there, which a self-signed client certificate lacks.
 */
function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey);
}

interface WebCryptoSigning {
  readonly importAlgorithm: webcrypto.AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  readonly signatureAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

/**
 * The certificate signature algorithm follows the issuer's key: sha256WithRSAEncryption (the one
 * every TLS stack accepts), ecdsa-with-SHA256 on P-256, ecdsa-with-SHA384 on P-384 (hash matched
 * to the curve), Ed25519.
 */
function webCryptoSigningParameters(keyType: TestKeyType): WebCryptoSigning {
  switch (keyType) {
    case 'rsa':
      return {
        importAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        signatureAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.Algorithm,
      };
    case 'ec-p256':
      return {
        importAlgorithm: { name: 'ECDSA', namedCurve: 'P-256' },
        signatureAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      };
    case 'ec-p384':
      return {
        importAlgorithm: { name: 'ECDSA', namedCurve: 'P-384' },
        signatureAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
      };
    case 'ed25519':
      return { importAlgorithm: { name: 'Ed25519' }, signatureAlgorithm: { name: 'Ed25519' } };
  }
}

function defaultKeyUsage(isCa: boolean, keyType: TestKeyType): readonly TestKeyUsage[] {
  if (isCa) return ['keyCertSign', 'cRLSign'];
  // TLS 1.2 RSA key exchange encrypts to the certificate key; EC and Ed25519 keys only sign.
  return keyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
}

function toKeyUsageFlags(x509: X509Module, usages: readonly TestKeyUsage[]): X509.KeyUsageFlags {
  let flags = 0;
  for (const usage of usages) flags |= x509.KeyUsageFlags[usage];
  return flags;
}

function toGeneralNames(san: TestSubjectAltNames | undefined): X509.JsonGeneralNames {
  if (san === undefined) return [];
  const names: X509.JsonGeneralNames = [];
  for (const value of san.dns ?? []) names.push({ type: 'dns', value });
  for (const value of san.uri ?? []) names.push({ type: 'url', value });
  for (const value of san.ip ?? []) {
    if (isIP(value) === 0) throw invalidOption('san.ip', `must be an IPv4 or IPv6 address (got "${value}")`);
    names.push({ type: 'ip', value });
  }
  for (const value of san.email ?? []) names.push({ type: 'email', value });
  return names;
}

function pemCertificatesToDer(pem: string): Buffer[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => Buffer.from(block.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64'));
}

// ---------------------------------------------------------------------------------------------
// Distinguished names
// ---------------------------------------------------------------------------------------------

interface DnAttribute {
  /** Dotted OID. */
  readonly type: string;
  /** Decoded text, or `#hex` for a raw BER value (RFC 4514 §2.4). */
  readonly value: string;
  readonly isBerHex: boolean;
}

const attributeTypeOids: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  SURNAME: '2.5.4.4',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  TITLE: '2.5.4.12',
  GN: '2.5.4.42',
  GIVENNAME: '2.5.4.42',
  DNQUALIFIER: '2.5.4.46',
  PSEUDONYM: '2.5.4.65',
  ORGANIZATIONIDENTIFIER: '2.5.4.97',
  UID: '0.9.2342.19200300.100.1.1',
  DC: '0.9.2342.19200300.100.1.25',
  E: '1.2.840.113549.1.9.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
};

/** Attributes whose ASN.1 syntax is not DirectoryString (RFC 5280 Appendix A, RFC 4519). */
const printableStringOids = new Set(['2.5.4.6', '2.5.4.5', '2.5.4.46']);
const ia5StringOids = new Set(['1.2.840.113549.1.9.1', '0.9.2342.19200300.100.1.25']);

/** Characters RFC 4514 §2.4 requires to be escaped inside a value. */
const mustEscape = new Set(['"', '+', ',', ';', '<', '>', '\\']);
const escapable = new Set([...mustEscape, ' ', '#', '=']);

/**
 * Parses an RFC 4514 string into RDNs in the order written (most specific first). Written here
 * rather than taken from `@peculiar/x509`, whose string parser keeps the written order in DER —
 * the reverse of what RFC 4514 means — and unescapes values a second time.
 */
function parseDistinguishedName(dn: string): DnAttribute[][] {
  const field = 'subject';
  const rdns: DnAttribute[][] = [];
  if (dn.trim() === '') return rdns;
  let index = 0;
  let rdn: DnAttribute[] = [];
  for (;;) {
    const equals = dn.indexOf('=', index);
    if (equals === -1) throw invalidOption(field, `missing "=" after position ${index} in "${dn}"`);
    const typeText = dn.slice(index, equals).trim();
    const type = attributeTypeOid(typeText, dn);
    index = equals + 1;
    while (dn[index] === ' ') index++;

    let value: string;
    let isBerHex = false;
    if (dn[index] === '#') {
      const end = nextSeparator(dn, index);
      value = dn.slice(index, end).trim();
      if (!/^#(?:[0-9A-Fa-f]{2})+$/.test(value)) throw invalidOption(field, `bad hex value "${value}" in "${dn}"`);
      isBerHex = true;
      index = end;
    } else {
      const bytes: number[] = [];
      let significantLength = 0;
      for (; index < dn.length; index++) {
        const char = dn[index] as string;
        if (char === ',' || char === '+') break;
        if (char === '\\') {
          const next = dn[index + 1];
          const hexPair = dn.slice(index + 1, index + 3);
          if (/^[0-9A-Fa-f]{2}$/.test(hexPair)) {
            bytes.push(Number.parseInt(hexPair, 16));
            index += 2;
          } else if (next !== undefined && escapable.has(next)) {
            bytes.push(next.charCodeAt(0));
            index += 1;
          } else {
            throw invalidOption(field, `bad escape at position ${index} in "${dn}"`);
          }
          significantLength = bytes.length;
          continue;
        }
        if (mustEscape.has(char)) throw invalidOption(field, `"${char}" must be escaped (position ${index} in "${dn}")`);
        const codePoint = dn.codePointAt(index) as number;
        const encoded = Buffer.from(String.fromCodePoint(codePoint), 'utf8');
        bytes.push(...encoded);
        if (codePoint > 0xffff) index++;
        // Unescaped trailing spaces are separator padding ("CN=a, O=b"), not part of the value.
        if (char !== ' ') significantLength = bytes.length;
      }
      try {
        value = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes.slice(0, significantLength)));
      } catch {
        throw invalidOption(field, `escaped bytes are not valid UTF-8 in "${dn}"`);
      }
    }
    rdn.push({ type, value, isBerHex });

    const separator = dn[index];
    if (separator === undefined) break;
    index++;
    if (separator === ',') {
      rdns.push(rdn);
      rdn = [];
    }
  }
  rdns.push(rdn);
  return rdns;
}

function nextSeparator(dn: string, from: number): number {
  for (let index = from; index < dn.length; index++) {
    if (dn[index] === ',' || dn[index] === '+') return index;
  }
  return dn.length;
}

function attributeTypeOid(typeText: string, dn: string): string {
  if (/^\d+(?:\.\d+)+$/.test(typeText)) return typeText;
  const oid = attributeTypeOids[typeText.toUpperCase()];
  if (oid === undefined) {
    throw invalidOption('subject', `unknown attribute type "${typeText}" in "${dn}" (use a dotted OID)`);
  }
  return oid;
}

/**
 * RDNs as `@peculiar/x509` JSON, reversed into DER order. Values go in as explicitly typed
 * strings so the library does not reinterpret them; UTF8String is the default, as OpenSSL's
 * `utf8only` and RFC 5280 §4.1.2.6 recommend.
 */
function toX509NameJson(rdnsAsWritten: readonly DnAttribute[][]): X509.JsonNameParams {
  return [...rdnsAsWritten].reverse().map((rdn) => {
    const entry: Record<string, (X509.JsonAttributeObject | string)[]> = {};
    for (const attribute of rdn) {
      const values = (entry[attribute.type] ??= []);
      values.push(attribute.isBerHex ? attribute.value : typedDirectoryString(attribute.type, attribute.value));
    }
    // The library decodes each value on its own: a `#hex` string and typed objects may share an RDN.
    return entry as X509.JsonAttributeAndValue;
  });
}

function typedDirectoryString(oid: string, value: string): X509.JsonAttributeObject {
  if (ia5StringOids.has(oid)) return { ia5String: value };
  if (printableStringOids.has(oid) && /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) return { printableString: value };
  return { utf8String: value };
}

function escapeDnValue(value: string): string {
  return value
    .replace(/[\\"+,;<>=]/g, (char) => `\\${char}`)
    .replace(/^[ #]/, (char) => `\\${char}`)
    .replace(/ $/, '\\ ');
}

// ---------------------------------------------------------------------------------------------
// Loading @peculiar/x509
// ---------------------------------------------------------------------------------------------

type X509Module = typeof X509;

let x509Module: Promise<X509Module> | undefined;

/**
 * `@peculiar/x509` 2.x wires its algorithms through tsyringe, which throws at import time unless
 * a Reflect metadata API exists. We supply the three functions tsyringe calls — only when no
 * polyfill (e.g. `reflect-metadata`) is loaded — and import the library afterwards, dynamically,
 * because a static import would run before this module's body.
 */
function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    installMinimalReflectMetadata();
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto);
    return x509;
  })();
  return x509Module;
}

type MetadataTable = Map<unknown, Map<unknown, unknown>>;

function installMinimalReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect['getMetadata'] === 'function') return;
  const tables = new WeakMap<object, MetadataTable>();
  const ownMetadata = (key: unknown, target: object, property?: unknown): unknown =>
    tables.get(target)?.get(property)?.get(key);
  const metadata = (key: unknown, target: object, property?: unknown): unknown => {
    for (let current: object | null = target; current !== null; current = Object.getPrototypeOf(current) as object | null) {
      const value = ownMetadata(key, current, property);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const defineMetadata = (key: unknown, value: unknown, target: object, property?: unknown): void => {
    let table = tables.get(target);
    if (table === undefined) tables.set(target, (table = new Map()));
    let properties = table.get(property);
    if (properties === undefined) table.set(property, (properties = new Map()));
    properties.set(key, value);
  };
  for (const [name, value] of [
    ['getMetadata', metadata],
    ['getOwnMetadata', ownMetadata],
    ['defineMetadata', defineMetadata],
  ] as const) {
    Object.defineProperty(Reflect, name, { value, writable: true, configurable: true });
  }
}

function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) % 0x7f) + 1;
  return bytes.toString('hex');
}
