import { invalidClientMetadata, invalidOption } from '../errors/errors.js';
import { type ClientMetadata, resolveClient } from './metadata.js';

/**
 * Where the token endpoint looks clients up. One method; return `undefined` for an unknown
 * client. Returning the same metadata object for the same client lets the library validate it
 * and import its keys once.
 */
export interface ClientRegistry {
  findClient(clientId: string): Promise<ClientMetadata | undefined> | ClientMetadata | undefined;
}

/**
 * A registry over a fixed list of clients, validated in full at construction.
 *
 * @throws ConfigurationError naming the client and the field, e.g.
 *   `clients[1] (client_id "svc").jwks: a private_key_jwt client needs jwks or jwks_uri …`
 * @example
 * const registry = createStaticClientRegistry([{ client_id: 'svc', token_endpoint_auth_method: 'private_key_jwt', jwks }]);
 */
export function createStaticClientRegistry(clients: readonly ClientMetadata[], name = 'clients'): ClientRegistry {
  if (!Array.isArray(clients)) throw invalidOption(name, 'must be an array of client metadata objects');
  const byId = new Map<string, ClientMetadata>();
  clients.forEach((metadata, index) => {
    const client = resolveClient(metadata, `${name}[${index}]`);
    if (byId.has(client.clientId)) {
      throw invalidClientMetadata(`${name}[${index}].client_id`, `"${client.clientId}" is registered twice; client ids must be unique`);
    }
    byId.set(client.clientId, metadata);
  });
  return { findClient: (clientId) => byId.get(clientId) };
}

export function isClientRegistry(value: unknown): value is ClientRegistry {
  return typeof value === 'object' && value !== null && typeof (value as ClientRegistry).findClient === 'function';
}
