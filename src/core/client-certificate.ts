import { X509Certificate } from 'node:crypto';
import type { PresentedCertificate } from '../client-auth/authenticate.js';
import { sha256 } from '../util/encoding.js';
import type { EndpointRequest } from './request.js';

/** The certificate presented on this request, from the TLS socket. */
export function presentedCertificate(request: EndpointRequest): PresentedCertificate | undefined {
  const presented = request.tlsClientCertificate;
  if (!presented) return undefined;
  const der = presented.certificate instanceof X509Certificate ? presented.certificate.raw : presented.certificate;
  return { thumbprintS256: sha256(der).toString('base64url'), handle: presented };
}
