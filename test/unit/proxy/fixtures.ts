/**
 * Fixed test PKI for the proxy-header suites: a P-256 root, an intermediate and a client leaf
 * (`CN=client.example`, SAN DNS:client.example and URI:spiffe://example.org/client), generated
 * once with openssl and valid until 2126. Known-answer vectors: the leaf's SHA-256 below was
 * computed by `openssl x509 -outform DER | sha256sum`, independently of the code under test.
 */
import { X509Certificate } from 'node:crypto';

export const LEAF_PEM = `-----BEGIN CERTIFICATE-----
MIIB3jCCAYSgAwIBAgIUDa5iXFbin3dyneRPPhrWQ4Mvn3QwCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXUHJveHktVGVzdC1JbnRlcm1lZGlhdGUwIBcNMjYxMTIxMjMx
MDQ1WhgPMjEyNjEwMjgyMzEwNDVaMBkxFzAVBgNVBAMMDmNsaWVudC5leGFtcGxl
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9kcuCwtdjlb561NE4axP6D1Zsdws
w4x57xAaQlssWed6n/ms3sz6TP0ViCwvxTHao4thxInUaDYIt1LQBiGwWqOBnjCB
mzAMBgNVHRMBAf8EAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMCMDYGA1UdEQQvMC2C
DmNsaWVudC5leGFtcGxlhhtzcGlmZmU6Ly9leGFtcGxlLm9yZy9jbGllbnQwHQYD
VR0OBBYEFExpDnu2J9qzA5xiMM5VSQGPpaU5MB8GA1UdIwQYMBaAFJKzIgvDZ/zs
/K7JZ5SAtDaHc0BHMAoGCCqGSM49BAMCA0gAMEUCIQCMw7YnrA259jTVfL1lGwtd
06JUmblRpMbQnsri4dxbrgIgDgOK2RhnDUOg9ReaDpFysEzYDoVZavyhN07YPs4a
IQI=
-----END CERTIFICATE-----
`;

export const INTERMEDIATE_PEM = `-----BEGIN CERTIFICATE-----
MIIBpjCCAUygAwIBAgIUPLkRvhzxPtChQMVbGnVJd9ZGbO8wCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPUHJveHktVGVzdC1Sb290MCAXDTI2MTEyMTIzMTA0NVoYDzIx
MjYxMDI4MjMxMDQ1WjAiMSAwHgYDVQQDDBdQcm94eS1UZXN0LUludGVybWVkaWF0
ZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHIJitFR3nliD+zSLLa6/uPTKE9o
OsvSwLhv+RL/YmUEFvX7L51M96HBwvITRvH7SwyrgbvtXmWLZBIkwt5jQpWjZjBk
MBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBSS
syILw2f87PyuyWeUgLQ2h3NARzAfBgNVHSMEGDAWgBSgL6Cv6L2JBuQMe4LK8uVm
0qip3jAKBggqhkjOPQQDAgNIADBFAiEAomnx18uKnq+3sSTYsyi6Z8pf1EJSFeNZ
0UqJGNDLwzYCIGHCy/kG8d2LqIueQ0+MdyvzGiSPjBtKOHDhoKJ+EitB
-----END CERTIFICATE-----
`;

export const ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIIBijCCATGgAwIBAgIUDcFiGhE0qGchjNDILvRb7GJFE5UwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPUHJveHktVGVzdC1Sb290MCAXDTI2MTEyMTIzMTA0NVoYDzIx
MjYxMDI4MjMxMDQ1WjAaMRgwFgYDVQQDDA9Qcm94eS1UZXN0LVJvb3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAASi/RdUuDaX0uE7QN4GNeexPhSkBAFNcKHrdIEQ
0TqJYHxPKy2WyrAN6WRr1ER6gSywFxdIQ0uBS67ygrYHWIMoo1MwUTAdBgNVHQ4E
FgQUoC+gr+i9iQbkDHuCyvLlZtKoqd4wHwYDVR0jBBgwFoAUoC+gr+i9iQbkDHuC
yvLlZtKoqd4wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBWf6nx
jMkJVfV/hBU45vUcVruRbP+A15LIltvEbw/okgIgfVoIdmGUGmZDy92u9nltlV57
8iPayi1y72eiEOG6xL4=
-----END CERTIFICATE-----
`;

/** SHA-256 of the leaf's DER, hex — what Envoy puts in XFCC `Hash`. */
export const LEAF_SHA256_HEX = '6e6b12d20928a7ffb6d5360f78b0253d8f5f4fdf78fa486f2261fe919dbb3b56';

/** DER via node:crypto, not via the code under test. */
export function derOf(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}

/** nginx `$ssl_client_escaped_cert` / Envoy / ALB style: percent-encoding of everything outside RFC 3986 unreserved. */
export function urlEncode(text: string): string {
  return encodeURIComponent(text);
}

/** AWS ALB style: URL-encoded "with +=/ as safe characters". */
export function albEncode(text: string): string {
  return encodeURIComponent(text).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');
}

/** RFC 8941 §3.3.5 byte sequence of a DER certificate. */
export function byteSequence(der: Uint8Array): string {
  return `:${Buffer.from(der).toString('base64')}:`;
}
