import { type ResolvedClient, isAbsoluteUriWithoutFragment } from '../clients/metadata.js';
import { OAuthError } from '../errors/errors.js';
import { parseScope } from '../util/scope.js';

/** RFC 6749 §3.3 grammar, checked before authentication. `undefined` when no scope was requested. */
export function validateScopeSyntax(requestedScope: string | undefined): readonly string[] | undefined {
  if (requestedScope === undefined) return undefined;
  const tokens = parseScope(requestedScope);
  if (tokens === undefined) throw new OAuthError('scope_malformed', 'scope contains characters outside the scope-token grammar');
  return tokens;
}

/** RFC 8707 §2: an absolute URI without a fragment. */
export function validateResourceSyntax(resource: string | undefined): void {
  if (resource !== undefined && !isAbsoluteUriWithoutFragment(resource)) {
    throw new OAuthError('resource_invalid', 'resource is not an absolute URI without a fragment');
  }
}

/**
 * RFC 6749 §3.3: the requested scope must be within the registered scope; with none requested,
 * the registered scope (or none, by configuration) is granted. The result is always stated in
 * the response, so the client never has to guess.
 */
export function grantScope(
  requested: readonly string[] | undefined,
  client: ResolvedClient,
  defaultScope: 'registered' | 'none',
): string {
  if (requested === undefined || requested.length === 0) return defaultScope === 'registered' ? client.scope : '';
  const excess = requested.filter((token) => !client.scopes.has(token));
  if (excess.length > 0) throw new OAuthError('scope_not_allowed', `not registered: ${excess.join(' ').slice(0, 200)}`);
  return requested.length === 1 ? (requested[0] as string) : requested.join(' ');
}

/** RFC 8707 §2: the resource becomes the token's `aud`; it must be one the client may ask for. */
export function selectAudience(resource: string | undefined, client: ResolvedClient, defaultAudience: string | undefined): string {
  if (resource !== undefined) {
    if (!client.allowedResources.has(resource) && resource !== defaultAudience) {
      throw new OAuthError('resource_not_allowed', `resource ${resource.slice(0, 200)}`);
    }
    return resource;
  }
  if (defaultAudience === undefined) throw new OAuthError('audience_unavailable');
  return defaultAudience;
}
