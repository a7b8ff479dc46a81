/**
 * PKCS#12 (`.p12` / `.pfx`) bundles of a test identity, for the tools that want one file with a
 * password rather than a PEM key and certificate: Java keystores (`keytool`, `-Djavax.net.ssl.keyStore`),
 * Postman, browsers, `curl --cert-type P12`.
 *
 * Written with node-forge, whose PKCS#12 writer has hard limits:
 * - the private key must be RSA: `toPkcs12Asn1` wraps it with `wrapRsaPrivateKey`, and forge has
 *   no EC or Ed25519 key support at all;
 * - every certificate of the chain is re-encoded from forge's own parse, which refuses non-RSA
 *   public keys and writes a NULL signature parameter that ECDSA signatures must not have. So
 *   the whole chain must hold RSA keys and RSA signatures (the demo PKI of `generateFixtureSet`
 *   is RSA for this reason). We compare the re-encoding with the original DER and refuse rather
 *   than ship a bundle with broken certificates.
 * EC and Ed25519 identities stay PEM-only; that is why the demo set has an RSA client.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7292
 */
import forge from 'node-forge';
import { parsePemBundle } from '../certificates/certificate.js';
import { invalidOption } from '../errors/errors.js';
import type { TestIdentity } from './pki.js';

/**
 * @example
 * const options: ToPkcs12Options = { password: 'changeit', friendlyName: 'svc-a' };
 */
export interface ToPkcs12Options {
  /** Protects the key bag and keys the integrity MAC. Java's and most tools' convention for test stores: `changeit`. */
  readonly password: string;
  /** Alias of the entry (Java `keytool -list` shows it). Default: none. */
  readonly friendlyName?: string | undefined;
  /**
   * Key-bag encryption. `3des` (default, pbeWithSHAAnd3-KeyTripleDES-CBC) is what every Java
   * release, Postman, macOS Keychain, Windows and OpenSSL 1.x/3.x import; `aes256` (PBES2) needs
   * Java 8u301+ / OpenSSL 1.1+. Certificates are not encrypted, the MAC is HMAC-SHA1, 2048 iterations.
   */
  readonly algorithm?: '3des' | 'aes256' | undefined;
}

/**
 * Whether {@link toPkcs12} can bundle this identity: RSA key, and RSA keys and signatures along
 * the chain (node-forge limits, see the module comment).
 *
 * @example
 * if (canWritePkcs12(identity)) await writeFile('client.p12', toPkcs12(identity, { password: 'changeit' }));
 */
export function canWritePkcs12(identity: TestIdentity): boolean {
  try {
    forgeChain(identity);
    return identity.privateKey.asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

/**
 * The identity's private key, certificate and intermediates (its `chainPem`, never the root) as a
 * DER PKCS#12 PFX: what a TLS client loads to present the full chain.
 *
 * Checked: the key is RSA and the bundled certificates are byte-identical to the identity's.
 * Left to the caller: where the file goes and how the password is shared.
 *
 * @throws ConfigurationError `ERR_M2M_INVALID_OPTION` for a non-RSA key or a chain node-forge cannot carry.
 * @example
 * await writeFile('svc-a.p12', toPkcs12(identity, { password: 'changeit', friendlyName: 'svc-a' }));
 * // openssl pkcs12 -info -in svc-a.p12 -passin pass:changeit -noout
 * // curl --cert-type P12 --cert svc-a.p12:changeit …
 * @see https://www.rfc-editor.org/rfc/rfc7292#section-4
 */
export function toPkcs12(identity: TestIdentity, options: ToPkcs12Options): Buffer {
  if (typeof options.password !== 'string') throw invalidOption('password', 'must be a string');
  if (identity.privateKey.asymmetricKeyType !== 'rsa') {
    throw invalidOption(
      'identity',
      `node-forge writes PKCS#12 only for RSA keys (this key is ${String(identity.privateKey.asymmetricKeyType)}); use the PEM key and certificate instead`,
    );
  }
  const chain = forgeChain(identity);
  const privateKey = forge.pki.privateKeyFromPem(identity.privateKeyPem);
  const asn1 = forge.pkcs12.toPkcs12Asn1(privateKey, chain, options.password, {
    algorithm: options.algorithm ?? '3des',
    ...(options.friendlyName === undefined ? {} : { friendlyName: options.friendlyName }),
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** The chain as forge certificates, each proven to re-encode to its original DER. */
function forgeChain(identity: TestIdentity): forge.pki.Certificate[] {
  return parsePemBundle(identity.chainPem).map(({ der }, index) => {
    let certificate: forge.pki.Certificate;
    try {
      certificate = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))));
    } catch (error) {
      throw invalidOption('identity', `node-forge cannot read certificate ${index} of the chain (${(error as Error).message}); PKCS#12 needs RSA keys throughout`);
    }
    const reencoded = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(), 'binary');
    if (!reencoded.equals(der)) {
      throw invalidOption('identity', `node-forge would alter certificate ${index} of the chain (non-RSA signature); PKCS#12 needs RSA signatures throughout`);
    }
    return certificate;
  });
}
