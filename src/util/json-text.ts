/**
 * JSON string content that needs no escaping: printable ASCII without '"' and '\\'. For such a
 * string, `"${value}"` is exactly `JSON.stringify(value)`.
 */
const JSON_SAFE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

export function isJsonSafe(value: string): boolean {
  return JSON_SAFE.test(value);
}

/**
 * Strings already found JSON-safe: the issuer, audiences, client ids and scopes repeat on every
 * token, and a Set lookup of a string whose hash V8 already holds is cheaper than the pattern.
 * Bounded: emptied when full.
 */
const knownJsonSafe = new Set<string>();
const MAX_KNOWN_JSON_SAFE = 1_000;

/** `isJsonSafe`, remembered, for values that repeat from request to request. */
export function isJsonSafeRepeated(value: string): boolean {
  if (knownJsonSafe.has(value)) return true;
  if (!JSON_SAFE.test(value)) return false;
  if (knownJsonSafe.size >= MAX_KNOWN_JSON_SAFE) knownJsonSafe.clear();
  knownJsonSafe.add(value);
  return true;
}
