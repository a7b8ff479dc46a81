/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Parses a space-delimited scope string into its distinct tokens, in order. Returns `undefined`
 * when any token breaks the RFC 6749 §3.3 grammar. Runs of spaces are tolerated; an empty string
 * is an empty list.
 */
export function parseScope(scope: string): string[] | undefined {
  // The usual request: one token, nothing to split.
  if (scope.length > 0 && !scope.includes(' ')) return SCOPE_TOKEN.test(scope) ? [scope] : undefined;
  const tokens: string[] = [];
  for (const token of scope.split(' ')) {
    if (token === '') continue;
    if (!SCOPE_TOKEN.test(token)) return undefined;
    if (!tokens.includes(token)) tokens.push(token);
  }
  return tokens;
}
