// Fills in the placeholders of examples/nginx/nginx.conf. Used by examples/nginx/server.ts (which
// writes a ready-to-run config next to its fixtures) and by test/integration/nginx.test.ts.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The template, with `{{NAME}}` placeholders. */
export const NGINX_CONFIG_TEMPLATE = fileURLToPath(new URL('./nginx.conf', import.meta.url));

export interface NginxConfigValues {
  /** Absolute directory for the pid file, logs and temp files (nginx's `-p`). */
  readonly prefix: string;
  /** HTTPS port nginx listens on, on 127.0.0.1. */
  readonly listenPort: number;
  /** Server certificate chain (PEM file, absolute path). */
  readonly serverCertificateFile: string;
  /** Its private key (PEM file, absolute path). */
  readonly serverKeyFile: string;
  /** Port of the library's plain-HTTP listener on 127.0.0.1. */
  readonly upstreamPort: number;
  /** `off` (default), or the local address nginx connects to the library from, e.g. `127.0.0.2`. */
  readonly proxyBind?: string | undefined;
}

/** nginx reads a bare word up to whitespace, `;`, `{`, `}`, quotes or `$`: keep values to such words. */
const SAFE_WORD = /^[A-Za-z0-9_./:@%+=,-]+$/;

function word(name: string, value: string | number): string {
  const text = String(value);
  if (!SAFE_WORD.test(text)) throw new Error(`nginx config: ${name} ${JSON.stringify(text)} must be a plain word (no spaces, quotes, ';' or '$')`);
  return text;
}

/**
 * The template with every placeholder replaced. Throws on a value nginx would misread and on a
 * placeholder left unfilled, so a broken config fails here rather than inside nginx.
 */
export async function renderNginxConfig(values: NginxConfigValues, template = NGINX_CONFIG_TEMPLATE): Promise<string> {
  const port = (name: string, value: number): string => {
    if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new Error(`nginx config: ${name} must be a TCP port (got ${value})`);
    return String(value);
  };
  const replacements: Record<string, string> = {
    PREFIX: word('prefix', values.prefix.replace(/\/+$/, '')),
    LISTEN_PORT: port('listenPort', values.listenPort),
    SERVER_CERT: word('serverCertificateFile', values.serverCertificateFile),
    SERVER_KEY: word('serverKeyFile', values.serverKeyFile),
    UPSTREAM_PORT: port('upstreamPort', values.upstreamPort),
    PROXY_BIND: word('proxyBind', values.proxyBind ?? 'off'),
  };
  const text = await readFile(template, 'utf8');
  // Comment lines keep their placeholders: they document the template, nginx ignores them.
  const rendered = text
    .split('\n')
    .map((line) => (line.trimStart().startsWith('#') ? line : line.replace(/\{\{([A-Z_]+)\}\}/g, (match, name: string) => replacements[name] ?? match)))
    .join('\n');
  const left = rendered.split('\n').find((line) => !line.trimStart().startsWith('#') && /\{\{[A-Z_]+\}\}/.test(line));
  if (left !== undefined) throw new Error(`nginx config: unknown placeholder in ${JSON.stringify(left.trim())}`);
  return rendered;
}
