/**
 * What every property suite asserts about a parser of untrusted input: it returns a value or
 * throws one of OUR coded errors — `OAuthError` (with the reasons the parser documents),
 * `ConfigurationError`, or, where a parser documents it, a plain `Error` — and nothing else: no
 * `TypeError`, `RangeError` or `SyntaxError` from a library or a stray `undefined` leaks out.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ConfigurationError, OAuthError } from '../../src/errors/errors.js';
import type { ReasonCode } from '../../src/errors/reasons.js';

/**
 * Moderate, so the whole folder runs in well under 20 s; a failure prints its seed and path to
 * replay. `PROPERTY_SCALE=50 npx vitest run test/property` searches fifty times harder.
 */
const SCALE = Math.max(1, Number(process.env.PROPERTY_SCALE ?? 1) || 1);
export const RUNS = 500;

export interface Allowed {
  /** OAuthError reasons the parser may throw. */
  readonly reasons?: readonly ReasonCode[];
  /** A plain `Error` (exactly `Error`, not a subclass) whose message matches, where documented. */
  readonly plainError?: RegExp;
  /** Other exact classes accepted with `plainError` (e.g. the `TypeError` of a strict `TextDecoder`). */
  readonly plainErrorClasses?: readonly (abstract new (...args: never[]) => Error)[];
  readonly configurationError?: boolean;
}

/** Rethrows anything that is not an allowed coded error, so fast-check reports and shrinks it. */
export function onlyCodedErrors(error: unknown, allowed: Allowed): void {
  if (error instanceof OAuthError) {
    if (allowed.reasons && !allowed.reasons.includes(error.reason)) throw new Error(`unexpected OAuthError reason ${error.reason}: ${error.detail}`);
    return;
  }
  if (error instanceof ConfigurationError && allowed.configurationError === true) return;
  const classes = [Error, ...(allowed.plainErrorClasses ?? [])];
  if (allowed.plainError && error instanceof Error && classes.includes(error.constructor as (typeof classes)[number]) && allowed.plainError.test(error.message)) return;
  throw new Error(`leaked ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`);
}

/** Runs `parse`; a returned value goes to `check`, a thrown error must be allowed. */
export function valueOrCodedError<T>(parse: () => T, allowed: Allowed, check?: (value: T) => void): void {
  let value: T;
  try {
    value = parse();
  } catch (error) {
    onlyCodedErrors(error, allowed);
    return;
  }
  check?.(value);
}

export async function valueOrCodedErrorAsync<T>(parse: () => Promise<T>, allowed: Allowed, check?: (value: T) => void): Promise<void> {
  let value: T;
  try {
    value = await parse();
  } catch (error) {
    onlyCodedErrors(error, allowed);
    return;
  }
  check?.(value);
}

/** Strings built from `pieces`: far likelier than uniform noise to hit a grammar's corners. */
export function stringFrom(pieces: readonly string[], maxLength = 40): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...pieces), { maxLength }).map((parts) => parts.join(''));
}

/** Mixes structured noise with uniform noise of every Unicode kind. */
export function hostileString(pieces: readonly string[], maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: stringFrom(pieces, maxLength) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength }) },
    // Lone surrogates: legal in a JS string, never in UTF-8.
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength }).map((codes) => String.fromCharCode(...codes)) },
  );
}

export function assertProperty<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void, numRuns = RUNS): void {
  fc.assert(fc.property(arbitrary, predicate), { numRuns: numRuns * SCALE });
}

export async function assertAsyncProperty<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, numRuns = RUNS): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, predicate), { numRuns: numRuns * SCALE });
}

export { expect, fc };
