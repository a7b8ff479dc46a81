import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TlsClientCertificate } from '../core/request.js';

const fromSocket = new WeakMap<Socket, TlsClientCertificate | null>();

/** Most certificates read after the leaf: a bound on work, not the policy (that is chain.ts). */
const MAX_WALK = 16;

/**
 * The certificate (and intermediates) the client presented on this TLS connection, read once
 * per connection: keep-alive requests reuse it instead of re-reading and re-parsing.
 */
export function tlsClientCertificateOf(socket: Socket | undefined): TlsClientCertificate | undefined {
  if (!socket || !(socket as TLSSocket).encrypted) return undefined;
  const cached = fromSocket.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const tlsSocket = socket as TLSSocket;
  const peer = tlsSocket.getPeerCertificate(true);
  let result: TlsClientCertificate | null = null;
  if (peer && peer.raw) {
    const intermediates: Buffer[] = [];
    let next = peer.issuerCertificate;
    // The detailed chain links to itself at the root; stop there and cap the walk. The cap is
    // above the chain validator's own limit (8), so an over-long chain reaches it and is refused
    // as too long (certificate_chain_invalid) rather than silently cut to a chain without a path.
    while (next && next.raw && next !== next.issuerCertificate && intermediates.length < MAX_WALK) {
      if (next.raw.equals(peer.raw)) break;
      intermediates.push(next.raw);
      next = next.issuerCertificate;
    }
    result = { certificate: peer.raw, intermediates };
  }
  // Only cache once the handshake is complete (the certificate cannot change afterwards).
  fromSocket.set(socket, result);
  return result ?? undefined;
}
