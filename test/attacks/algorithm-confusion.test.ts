/**
 * ATTACK: algorithm confusion against private_key_jwt (RFC 8725 §2.1, §3.1; CVE-2015-9235 and
 * kin). The attacker controls the JWS header, so it picks the algorithm: `none`, an HMAC keyed
 * with the client's *public* key (which it knows), an RSA key too small to resist factoring,
 * an `alg` that does not fit the named key, a signature in another encoding, the all-zero ECDSA
 * signature (CVE-2022-21449), or a header with two `alg` members. SPEC.md: "alg: allow-list,
 * never none or HS*; the key's type must fit the alg; RSA ≥ 2048 bits".
 */
import { type KeyObject, constants, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReasonCode } from '../../src/errors/reasons.js';
import { signClientAssertion } from '../../src/testing/assertions.js';
import { toJwk } from '../../src/testing/pki.js';
import {
  type AdapterUnderTest,
  type ClientKey,
  type ConformanceContext,
  ISSUER,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal, segment } from './support.js';

describe.each(ADAPTERS)('ATTACK algorithm confusion through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  const claims = (clientId = 'pkjwt'): Record<string, unknown> => {
    const now = Math.floor(context.clock.now / 1000);
    return { iss: clientId, sub: clientId, aud: ISSUER, iat: now, exp: now + 60, jti: crypto.randomUUID() };
  };

  async function refused(assertion: string, reason: ReasonCode): Promise<void> {
    const response = await server.post(assertionParameters(assertion));
    expectRefusal(response, server, { status: 401, error: 'invalid_client', reason, wwwAuthenticate: false, secrets: [assertion] });
  }

  /** Signs `header.payload` by hand with an ECDSA/RSA/Ed25519 key, for encodings jose would never produce. */
  function handSigned(header: Record<string, unknown> | string, payload: Record<string, unknown>, sign: (input: Buffer) => Buffer): string {
    const input = `${typeof header === 'string' ? Buffer.from(header).toString('base64url') : segment(header)}.${segment(payload)}`;
    return `${input}.${sign(Buffer.from(input)).toString('base64url')}`;
  }

  describe('RFC 7519 §6 / RFC 8725 §3.1: "alg": "none" is never accepted', () => {
    it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s with an empty signature (assertion_alg_not_allowed)', async (alg) => {
      await refused(await assertionFor(context, 'pkjwt', context.keys.es256, { header: { alg }, signature: 'none' }), 'assertion_alg_not_allowed');
    });
    it('refuses alg none carrying a genuine ES256 signature of the same input (assertion_alg_not_allowed)', async () => {
      const input = `${segment({ alg: 'none', kid: context.keys.es256.kid })}.${segment(claims())}`;
      const signature = sign('sha256', Buffer.from(input), { key: context.keys.es256.privateKey, dsaEncoding: 'ieee-p1363' });
      await refused(`${input}.${signature.toString('base64url')}`, 'assertion_alg_not_allowed');
    });
    it('refuses an alg that is not a string (["ES256"]) (assertion_alg_not_allowed)', async () => {
      await refused(await assertionFor(context, 'pkjwt', context.keys.es256, { header: { alg: ['ES256'] }, signature: 'none' }), 'assertion_alg_not_allowed');
    });
    it('refuses a header without alg (assertion_alg_not_allowed)', async () => {
      const input = `${segment({ kid: context.keys.es256.kid })}.${segment(claims())}`;
      await refused(`${input}.${sign('sha256', Buffer.from(input), { key: context.keys.es256.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`, 'assertion_alg_not_allowed');
    });
  });

  describe('RFC 8725 §2.1 key confusion: HS* keyed with the client\'s public key is never accepted', () => {
    /** Every way an attacker might spell the public key it uses as the HMAC secret. */
    const forms = (key: ClientKey): string[] => {
      const publicKey = createPublicKey(key.privateKey);
      return [
        String(publicKey.export({ type: 'spki', format: 'pem' })),
        ...(key.publicJwk.kty === 'RSA' ? [String(publicKey.export({ type: 'pkcs1', format: 'pem' }))] : []),
        JSON.stringify(key.publicJwk),
        JSON.stringify({ crv: key.publicJwk.crv, e: key.publicJwk.e, kty: key.publicJwk.kty, n: key.publicJwk.n, x: key.publicJwk.x, y: key.publicJwk.y }),
      ];
    };
    for (const keyName of ['es256', 'rsa', 'ed25519'] as const) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        it(`refuses ${alg} keyed with the ${keyName} public key in every serialisation, kid naming it (assertion_alg_not_allowed)`, async () => {
          const key = context.keys[keyName];
          for (const secret of forms(key)) {
            const assertion = await signClientAssertion({ clientId: 'pkjwt', audience: ISSUER, secret, alg, kid: key.kid, now: Math.floor(context.clock.now / 1000) });
            await refused(assertion, 'assertion_alg_not_allowed');
          }
        });
      }
    }
  });

  describe('SPEC.md "RSA ≥ 2048 bits": a factorable RSA key is refused even when registered', () => {
    it.each(['RS256', 'PS256'])('refuses %s signed with the registered 1024-bit RSA key (assertion_key_unsuitable)', async (alg) => {
      await refused(await assertionFor(context, 'pkjwt', context.keys.rsa1024, { alg }), 'assertion_key_unsuitable');
    });
    it('still accepts PS256 with the registered 2048-bit RSA key (control)', async () => {
      expectIssued(await server.post(assertionParameters(await assertionFor(context, 'pkjwt', context.keys.rsa, { alg: 'PS256' }))));
    });
  });

  describe('RFC 7518 §3.1 / SPEC.md "the key\'s type must fit the alg"', () => {
    it.each([
      ['ES256 naming the RSA key', 'ES256', 'rsa', 'assertion_key_unsuitable'],
      ['ES256 naming the Ed25519 key', 'ES256', 'ed25519', 'assertion_key_unsuitable'],
      ['ES384 naming the P-256 key', 'ES384', 'es256', 'assertion_key_unsuitable'],
      ['EdDSA naming the P-256 key', 'EdDSA', 'es256', 'assertion_key_unsuitable'],
      ['PS256 naming the P-256 key', 'PS256', 'es256', 'assertion_key_unsuitable'],
      ['ES512 (not in the default allow-list)', 'ES512', 'es256', 'assertion_alg_not_allowed'],
      ['RS384 (not in the default allow-list)', 'RS384', 'rsa', 'assertion_alg_not_allowed'],
      ['PS512 (not in the default allow-list)', 'PS512', 'rsa', 'assertion_alg_not_allowed'],
    ] as const)('refuses %s (%s with key %s → %s)', async (_name, alg, keyName, reason) => {
      // The key checks come before the signature: what is in the signature segment does not matter.
      await refused(await assertionFor(context, 'pkjwt', context.keys[keyName], { alg, signature: 'none' }), reason);
    });
    it('refuses PS256 from a client whose registered token_endpoint_auth_signing_alg is ES256 (assertion_alg_not_registered)', async () => {
      await refused(await assertionFor(context, 'pkjwt-es256-only', context.keys.rsa, { alg: 'PS256' }), 'assertion_alg_not_registered');
    });
  });

  describe('an EdDSA key the verifier cannot use (Ed448, which jose 6 does not verify) is refused cleanly, never a 500', () => {
    let ed448: AdapterUnderTest;
    let ed448Key: KeyObject;
    beforeAll(async () => {
      const pair = generateKeyPairSync('ed448');
      ed448Key = pair.privateKey;
      ed448 = await mount(adapter, context, context.createEndpoint({
        clients: [{ client_id: 'ed448-client', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...toJwk(pair.publicKey), kid: 'ed448-key' }] }, scope: 'read' }],
      }));
    });
    afterAll(() => ed448.server.close());

    const send = async (assertion: string): Promise<void> => {
      const response = await ed448.post(assertionParameters(assertion));
      expectRefusal(response, ed448, { status: 401, error: 'invalid_client', reason: 'assertion_key_unsuitable', wwwAuthenticate: false, secrets: [assertion] });
    };
    it('an unsigned {"alg":"EdDSA"} assertion without kid, from anyone (assertion_key_unsuitable, 401 not 500)', async () => {
      await send(`${segment({ alg: 'EdDSA' })}.${segment(claims('ed448-client'))}.`);
    });
    it('a genuine Ed448 signature naming the registered kid (assertion_key_unsuitable)', async () => {
      await send(handSigned({ alg: 'EdDSA', kid: 'ed448-key' }, claims('ed448-client'), (input) => sign(null, input, ed448Key)));
    });
  });

  describe('signature encodings a lenient verifier might accept', () => {
    it('refuses an ES256 signature in DER (ASN.1) instead of R‖S (RFC 7518 §3.4) (assertion_signature_invalid)', async () => {
      const assertion = handSigned({ alg: 'ES256', kid: context.keys.es256.kid }, claims(), (input) =>
        sign('sha256', input, { key: context.keys.es256.privateKey, dsaEncoding: 'der' }),
      );
      await refused(assertion, 'assertion_signature_invalid');
    });
    it('refuses the all-zero ECDSA signature r = s = 0 ("psychic signature", CVE-2022-21449) (assertion_signature_invalid)', async () => {
      const input = `${segment({ alg: 'ES256', kid: context.keys.es256.kid })}.${segment(claims())}`;
      await refused(`${input}.${Buffer.alloc(64).toString('base64url')}`, 'assertion_signature_invalid');
    });
    it('refuses an ECDSA signature with r = s = n (the curve order) (assertion_signature_invalid)', async () => {
      const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
      const input = `${segment({ alg: 'ES256', kid: context.keys.es256.kid })}.${segment(claims())}`;
      await refused(`${input}.${Buffer.concat([n, n]).toString('base64url')}`, 'assertion_signature_invalid');
    });
    it('refuses a PS256 signature made with a salt length other than the hash length (RFC 7518 §3.5) (assertion_signature_invalid)', async () => {
      const assertion = handSigned({ alg: 'PS256', kid: context.keys.rsa.kid }, claims(), (input) =>
        sign('sha256', input, { key: context.keys.rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 }),
      );
      await refused(assertion, 'assertion_signature_invalid');
    });
    it('refuses RS256 bytes presented as PS256 (the same key, the other padding) (assertion_signature_invalid)', async () => {
      const assertion = handSigned({ alg: 'PS256', kid: context.keys.rsa.kid }, claims(), (input) =>
        sign('sha256', input, { key: context.keys.rsa.privateKey, padding: constants.RSA_PKCS1_PADDING }),
      );
      await refused(assertion, 'assertion_signature_invalid');
    });
    it('refuses a signature with trailing bytes appended (assertion_signature_invalid)', async () => {
      const valid = await assertionFor(context, 'pkjwt');
      const [input, signature = ''] = [valid.slice(0, valid.lastIndexOf('.')), valid.slice(valid.lastIndexOf('.') + 1)];
      await refused(`${input}.${Buffer.concat([Buffer.from(signature, 'base64url'), Buffer.from([0])]).toString('base64url')}`, 'assertion_signature_invalid');
    });
  });

  describe('RFC 7515 §4: duplicate header members — "use a JSON parser that returns only the lexically last duplicate member name"', () => {
    it('judges {"alg":"ES256","alg":"none"} as alg none (assertion_alg_not_allowed)', async () => {
      const header = `{"alg":"ES256","kid":"${context.keys.es256.kid}","alg":"none"}`;
      await refused(handSigned(header, claims(), (input) => sign('sha256', input, { key: context.keys.es256.privateKey, dsaEncoding: 'ieee-p1363' })), 'assertion_alg_not_allowed');
    });
    it('judges {"alg":"none","alg":"ES256"} by the last alg: a genuine ES256 signature verifies (one parser, no differential)', async () => {
      const header = `{"alg":"none","kid":"${context.keys.es256.kid}","alg":"ES256"}`;
      const assertion = handSigned(header, claims(), (input) => sign('sha256', input, { key: context.keys.es256.privateKey, dsaEncoding: 'ieee-p1363' }));
      expectIssued(await server.post(assertionParameters(assertion)));
    });
    it('reads the client from the same (last) sub as the verifier does: {"sub":"pkjwt-es256-only","sub":"pkjwt"} authenticates pkjwt', async () => {
      const now = Math.floor(context.clock.now / 1000);
      const payload = `{"iss":"pkjwt","sub":"pkjwt-es256-only","aud":"${ISSUER}","iat":${now},"exp":${now + 60},"jti":"${crypto.randomUUID()}","sub":"pkjwt"}`;
      const input = `${segment({ alg: 'ES256', kid: context.keys.es256.kid })}.${Buffer.from(payload).toString('base64url')}`;
      const assertion = `${input}.${sign('sha256', Buffer.from(input), { key: context.keys.es256.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      expectIssued(await server.post(assertionParameters(assertion)));
      expect(server.lastEvent().clientId).toBe('pkjwt');
    });
  });
});
