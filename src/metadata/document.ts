import type { AssertionAlgorithm } from '../assertions/algorithms.js';
import type { TokenEndpointAuthMethod } from '../clients/metadata.js';

/** The slice of configuration the metadata document is built from. */
export interface MetadataInput {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  readonly introspectionEndpoint: string | undefined;
  readonly revocationEndpoint: string | undefined;
  readonly authMethods: ReadonlySet<TokenEndpointAuthMethod>;
  readonly assertionAlgorithms: ReadonlySet<AssertionAlgorithm>;
  readonly scopesSupported: readonly string[] | undefined;
  readonly certificateBoundAccessTokens: boolean;
  /** RFC 8705 §5: endpoint URLs on the host that requests client certificates. */
  readonly mtlsEndpointAliases: Readonly<Record<string, string>> | undefined;
}

/**
 * RFC 8414 §2 authorization server metadata. Only what the server really accepts is advertised:
 * no `none` method, no `none`/`HS*` algorithm. `response_types_supported` is REQUIRED and empty
 * because there is no authorization endpoint.
 */
export function buildMetadataDocument(input: MetadataInput): Record<string, unknown> {
  const methods = [...input.authMethods];
  const usesAssertions = input.authMethods.has('private_key_jwt');
  const document: Record<string, unknown> = {
    issuer: input.issuer,
    token_endpoint: input.tokenEndpoint,
    jwks_uri: input.jwksUri,
    response_types_supported: [],
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: methods,
    ...(usesAssertions ? { token_endpoint_auth_signing_alg_values_supported: [...input.assertionAlgorithms] } : {}),
    ...(input.scopesSupported ? { scopes_supported: input.scopesSupported } : {}),
  };
  if (input.introspectionEndpoint !== undefined) {
    document.introspection_endpoint = input.introspectionEndpoint;
    document.introspection_endpoint_auth_methods_supported = methods;
    if (usesAssertions) document.introspection_endpoint_auth_signing_alg_values_supported = [...input.assertionAlgorithms];
  }
  if (input.revocationEndpoint !== undefined) {
    document.revocation_endpoint = input.revocationEndpoint;
    document.revocation_endpoint_auth_methods_supported = methods;
    if (usesAssertions) document.revocation_endpoint_auth_signing_alg_values_supported = [...input.assertionAlgorithms];
  }
  document.tls_client_certificate_bound_access_tokens = input.certificateBoundAccessTokens;
  if (input.mtlsEndpointAliases) document.mtls_endpoint_aliases = input.mtlsEndpointAliases;
  return document;
}
