import type { ResolvedClient } from '../clients/metadata.js';
import { type SecretVerifier, plaintextSecretVerifier } from '../clients/secrets.js';
import { OAuthError } from '../errors/errors.js';

/** The cheapest decoy, for registries whose clients are not known in advance. */
export const DEFAULT_DECOY_VERIFIERS: readonly SecretVerifier[] = [plaintextSecretVerifier('decoy-secret-never-matches-anything')];

function cost(verifiers: readonly SecretVerifier[]): number {
  return verifiers.reduce((total, verifier) => total + (verifier.kind === 'scrypt' ? 1_000_000 : 1), 0);
}

/**
 * The work to do for an unknown client: the verifiers of the most expensive registered secret
 * client (e.g. two scrypt hashes while one rolls), so an unknown client id takes as long as a
 * wrong secret for the slowest real one. Their results are always discarded.
 */
export function decoyVerifiersFor(clients: readonly ResolvedClient[]): readonly SecretVerifier[] {
  let decoy = DEFAULT_DECOY_VERIFIERS;
  for (const client of clients) {
    if (client.secretVerifiers.length > 0 && cost(client.secretVerifiers) > cost(decoy)) decoy = client.secretVerifiers;
  }
  return decoy;
}

/**
 * RFC 6749 §2.3.1: checks a presented secret against every active secret of the client (two
 * while a secret is being rolled), in constant time. Every verifier runs, so the time taken
 * does not say which one matched. For an unknown client (`undefined`) the decoy runs and the
 * answer is always a mismatch.
 *
 * @returns `undefined` when it matched synchronously, else a promise; throws (or rejects with)
 *   OAuthError `client_secret_mismatch`.
 */
export function verifyClientSecret(
  client: ResolvedClient | undefined,
  presented: string,
  decoy: readonly SecretVerifier[] = DEFAULT_DECOY_VERIFIERS,
): Promise<void> | undefined {
  const verifiers = client?.secretVerifiers ?? decoy;
  // Plaintext and sha256 secrets are checked synchronously (`undefined`: matched); scrypt ones on the thread pool.
  if (verifiers.every((verifier) => verifier.verifyNow !== undefined)) {
    let matched = false;
    for (const verifier of verifiers) if ((verifier.verifyNow as (presented: string) => boolean)(presented)) matched = true;
    return judge(client, matched);
  }
  return Promise.all(verifiers.map((verifier) => verifier.verify(presented))).then((results) => judge(client, results.includes(true)));
}

function judge(client: ResolvedClient | undefined, matched: boolean): undefined {
  if (!client || !matched) throw new OAuthError('client_secret_mismatch', 'the client secret does not match');
  return undefined;
}
