export { createAccessTokenVerifier, AccessTokenError } from './verifier.js';
export type {
  AccessTokenVerifier,
  AccessTokenVerifierOptions,
  AccessTokenPresentation,
  AccessTokenFailureReason,
  VerifiedAccessToken,
  VerifierKeys,
} from './verifier.js';
