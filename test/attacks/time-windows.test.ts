/**
 * ATTACK: stretching the time windows of a client assertion — an old captured assertion (`exp`
 * in the past), one minted for later use (`iat`/`nbf` in the future), or one with a lifetime long
 * enough to outlive the replay store. RFC 7523 §3 items 4–6 and SPEC.md: `exp` required;
 * tolerance 15 s by default (configurable up to 60 s); `iat`/`nbf` more than the tolerance in the
 * future refused; lifetime capped at 300 s (`exp − iat`, or `exp − now` without `iat`). Each
 * bound is probed just inside and just outside, on a frozen clock, to the millisecond.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ReasonCode } from '../../src/errors/reasons.js';
import {
  type AdapterUnderTest,
  type ConformanceContext,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal, wholeSecondNow } from './support.js';

/** Claims relative to T (the frozen clock, whole seconds). `undefined` removes the claim. */
type Claims = (t: number) => Record<string, unknown>;
type Probe = readonly [name: string, claims: Claims, outcome: 'accepted' | ReasonCode];

/** Default tolerance 15 s, lifetime cap 300 s; the clock is exactly T.000. */
const DEFAULT_WINDOWS: readonly Probe[] = [
  ['exp = T (now)', (t) => ({ iat: t - 10, exp: t }), 'accepted'],
  ['exp = T − 15 (just inside the tolerance)', (t) => ({ iat: t - 60, exp: t - 15 }), 'accepted'],
  ['exp = T − 15.001', (t) => ({ iat: t - 60, exp: t - 15.001 }), 'assertion_expired'],
  ['exp = T − 16 (just outside)', (t) => ({ iat: t - 60, exp: t - 16 }), 'assertion_expired'],
  ['exp a day ago', (t) => ({ iat: t - 86_460, exp: t - 86_400 }), 'assertion_expired'],
  ['exp = 0 (the epoch)', () => ({ iat: 0, exp: 0 }), 'assertion_expired'],
  ['iat = T + 15 (just inside)', (t) => ({ iat: t + 15, exp: t + 60 }), 'accepted'],
  ['iat = T + 15.001', (t) => ({ iat: t + 15.001, exp: t + 60 }), 'iat_in_future'],
  ['iat = T + 16 (just outside)', (t) => ({ iat: t + 16, exp: t + 60 }), 'iat_in_future'],
  ['iat a year ahead, exp just after it', (t) => ({ iat: t + 31_536_000, exp: t + 31_536_060 }), 'iat_in_future'],
  ['nbf = T + 15 (just inside)', (t) => ({ nbf: t + 15, exp: t + 60 }), 'accepted'],
  ['nbf = T + 16 (just outside)', (t) => ({ nbf: t + 16, exp: t + 60 }), 'nbf_in_future'],
  ['exp − iat = 300 (the cap)', (t) => ({ iat: t, exp: t + 300 }), 'accepted'],
  ['exp − iat = 300.001', (t) => ({ iat: t, exp: t + 300.001 }), 'lifetime_too_long'],
  ['exp − iat = 301', (t) => ({ iat: t, exp: t + 301 }), 'lifetime_too_long'],
  ['no iat, exp − now = 300', (t) => ({ iat: undefined, exp: t + 300 }), 'accepted'],
  ['no iat, exp − now = 301', (t) => ({ iat: undefined, exp: t + 301 }), 'lifetime_too_long'],
  ['an old iat with a fresh exp (exp − iat = 3,600)', (t) => ({ iat: t - 3540, exp: t + 60 }), 'lifetime_too_long'],
  ['exp = 1e300', (t) => ({ iat: t, exp: 1e300 }), 'lifetime_too_long'],
  ['exp = 2^53 + 1', (t) => ({ iat: t, exp: 2 ** 53 + 1 }), 'lifetime_too_long'],
  ['exp missing', () => ({ exp: undefined }), 'exp_missing'],
  ['exp null', () => ({ exp: null }), 'exp_invalid'],
  ['exp as a numeric string', (t) => ({ exp: String(t + 60) }), 'exp_invalid'],
  ['exp as an ISO date', () => ({ exp: new Date(Date.now() + 60_000).toISOString() }), 'exp_invalid'],
  ['exp negative', () => ({ exp: -1 }), 'exp_invalid'],
  ['exp true', () => ({ exp: true }), 'exp_invalid'],
  ['exp an array', (t) => ({ exp: [t + 60] }), 'exp_invalid'],
  ['iat as a string', (t) => ({ iat: String(t), exp: t + 60 }), 'iat_invalid'],
  ['iat negative', (t) => ({ iat: -5, exp: t + 60 }), 'iat_invalid'],
  ['nbf as a string', (t) => ({ nbf: String(t), exp: t + 60 }), 'nbf_invalid'],
  ['nbf an object', (t) => ({ nbf: { t }, exp: t + 60 }), 'nbf_invalid'],
];

const ZERO_TOLERANCE: readonly Probe[] = [
  ['exp = T', (t) => ({ iat: t - 10, exp: t }), 'accepted'],
  ['exp = T − 0.001', (t) => ({ iat: t - 10, exp: t - 0.001 }), 'assertion_expired'],
  ['exp = T − 1', (t) => ({ iat: t - 10, exp: t - 1 }), 'assertion_expired'],
  ['iat = T', (t) => ({ iat: t, exp: t + 60 }), 'accepted'],
  ['iat = T + 1', (t) => ({ iat: t + 1, exp: t + 60 }), 'iat_in_future'],
  ['nbf = T + 1', (t) => ({ nbf: t + 1, exp: t + 60 }), 'nbf_in_future'],
];

const MAX_TOLERANCE_SHORT_LIFETIME: readonly Probe[] = [
  ['exp = T − 60 (tolerance 60)', (t) => ({ iat: t - 90, exp: t - 60 }), 'accepted'],
  ['exp = T − 61', (t) => ({ iat: t - 90, exp: t - 61 }), 'assertion_expired'],
  ['iat = T + 60', (t) => ({ iat: t + 60, exp: t + 90 }), 'accepted'],
  ['iat = T + 61', (t) => ({ iat: t + 61, exp: t + 90 }), 'iat_in_future'],
  ['exp − iat = 30 (maxLifetime 30)', (t) => ({ iat: t, exp: t + 30 }), 'accepted'],
  ['exp − iat = 31', (t) => ({ iat: t, exp: t + 31 }), 'lifetime_too_long'],
];

describe.each(ADAPTERS)('ATTACK assertion time-window stretching on a frozen clock through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let byDefault: AdapterUnderTest;
  let strict: AdapterUnderTest;
  let lenient: AdapterUnderTest;
  let t: number;

  beforeAll(async () => {
    context = await createConformanceContext();
    t = wholeSecondNow();
    context.clock.now = t * 1000;
    byDefault = await mount(adapter, context);
    strict = await mount(adapter, context, context.createEndpoint({ clientAssertion: { clockTolerance: 0 } }));
    lenient = await mount(adapter, context, context.createEndpoint({ clientAssertion: { clockTolerance: 60, maxLifetime: 30 } }));
  });
  afterAll(async () => {
    await byDefault.server.close();
    await strict.server.close();
    await lenient.server.close();
  });

  async function probe(target: AdapterUnderTest, claims: Claims, outcome: 'accepted' | ReasonCode): Promise<void> {
    const values = claims(t);
    const omit = Object.keys(values).filter((name) => values[name] === undefined);
    const present = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
    const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { now: t, claims: present, omit });
    const response = await target.post(assertionParameters(assertion));
    if (outcome === 'accepted') expectIssued(response);
    else expectRefusal(response, target, { status: 401, error: 'invalid_client', reason: outcome, wwwAuthenticate: false, secrets: [assertion] });
  }

  describe('defaults: tolerance 15 s, lifetime cap 300 s', () => {
    it.each(DEFAULT_WINDOWS)('%s → %s', async (_name, claims, outcome) => {
      await probe(byDefault, claims, outcome);
    });
  });

  describe('clockTolerance 0', () => {
    it.each(ZERO_TOLERANCE)('%s → %s', async (_name, claims, outcome) => {
      await probe(strict, claims, outcome);
    });
  });

  describe('clockTolerance 60 (the maximum), maxLifetime 30', () => {
    it.each(MAX_TOLERANCE_SHORT_LIFETIME)('%s → %s', async (_name, claims, outcome) => {
      await probe(lenient, claims, outcome);
    });
  });

  describe('the boundary to the millisecond: exp = T − 15 is accepted at T.000 and expired at T.001', () => {
    it('T.000 → accepted; T.001 → assertion_expired', async () => {
      const claims: Claims = (now) => ({ iat: now - 60, exp: now - 15 });
      await probe(byDefault, claims, 'accepted');
      context.clock.now = t * 1000 + 1;
      try {
        await probe(byDefault, claims, 'assertion_expired');
      } finally {
        context.clock.now = t * 1000;
      }
    });
  });
});
