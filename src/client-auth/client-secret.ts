import type { ResolvedClient } from '../clients/metadata.js';
import { plaintextSecretVerifier } from '../clients/secrets.js';
import { OAuthError } from '../errors/errors.js';

/** Compared against when the client is unknown, so the work done does not reveal that. */
const DECOY_VERIFIER = plaintextSecretVerifier('decoy-secret-never-matches-anything');

/**
 * RFC 6749 §2.3.1: checks a presented secret against every active secret of the client (two
 * while a secret is being rolled), in constant time. Every verifier runs, so the time taken
 * does not say which one matched.
 */
export async function verifyClientSecret(client: ResolvedClient | undefined, presented: string): Promise<void> {
  const verifiers = client?.secretVerifiers ?? [DECOY_VERIFIER];
  const results = await Promise.all(verifiers.map((verifier) => verifier.verify(presented)));
  if (!client || !results.includes(true)) throw new OAuthError('client_secret_mismatch', 'the client secret does not match');
}
