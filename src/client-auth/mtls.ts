import type { ClientKeySource } from '../assertions/key-source.js';
import type { CertificateVerifier } from '../certificates/chain.js';
import { checkIssuerPin } from '../certificates/chain.js';
import { tlsIdentityMismatchReason } from '../certificates/identity.js';
import { certificateMatchesJwks } from '../certificates/self-signed.js';
import type { JsonWebKeySet, ResolvedClient } from '../clients/metadata.js';
import type { ParsedCertificate } from '../certificates/certificate.js';
import { OAuthError } from '../errors/errors.js';
import { andThen } from '../util/maybe-promise.js';
import type { CertificateAuthenticator, PresentedCertificate } from './authenticate.js';

export interface MtlsAuthenticatorConfig {
  /** Trust anchors for `tls_client_auth`; `undefined` when none are configured. */
  readonly verifier: CertificateVerifier | undefined;
  /** Where a `self_signed_tls_client_auth` client's registered certificates come from. */
  readonly keySource: ClientKeySource;
}

/**
 * RFC 8705 §2: mutual-TLS client authentication.
 *
 * - `tls_client_auth` (§2.1): the chain must validate to a configured trust anchor at the
 *   request time, the issuing CA may be pinned (§7.4), and the leaf must carry the one registered
 *   `tls_client_auth_*` identity.
 * - `self_signed_tls_client_auth` (§2.2): no chain; the certificate must be one the client
 *   registered as an `x5c[0]` in its JWK Set. Its validity period is not part of the match.
 */
function matchSelfSigned(leaf: ParsedCertificate, jwks: JsonWebKeySet): undefined {
  if (!certificateMatchesJwks(leaf, jwks)) {
    throw new OAuthError('self_signed_certificate_mismatch', 'the certificate is not an x5c[0] of the client\'s JWK Set');
  }
  return undefined;
}

export function createMtlsAuthenticator(config: MtlsAuthenticatorConfig): CertificateAuthenticator {
  return {
    authenticate(client: ResolvedClient, presented: PresentedCertificate, nowSeconds: number): Promise<void> | undefined {
      const leaf = presented.leaf();
      if (client.authMethod === 'tls_client_auth') {
        if (!config.verifier) throw new OAuthError('certificate_untrusted', 'no trust anchors are configured for tls_client_auth');
        const chain = config.verifier.verify(leaf, presented.intermediates(), nowSeconds * 1000);
        if (client.issuerSpkiPins.length > 0) checkIssuerPin(chain, client.issuerSpkiPins);
        const identity = client.tlsIdentity;
        if (!identity || !identity.matches(leaf)) {
          throw new OAuthError(tlsIdentityMismatchReason(identity?.field ?? 'tls_client_auth_subject_dn'), `registered ${identity?.field} does not match the certificate`);
        }
        return undefined;
      }
      if (client.jwks) return matchSelfSigned(leaf, client.jwks);
      return andThen(config.keySource.keysFor(client, { refresh: false }), (keys) => matchSelfSigned(leaf, { keys: keys.map((key) => key.jwk) }));
    },
  };
}
