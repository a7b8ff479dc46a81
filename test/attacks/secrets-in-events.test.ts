/**
 * ATTACK (on the operator's logs): getting a client secret written into operator events. SPEC.md
 * "Operator events": "Never a secret, a private key, an assertion, an access token or a full
 * Authorization header". Events quote some of what the caller sent (the `grant_type` it asked
 * for, the requested scope, the client id it named), so a body whose separators are not "&" —
 * HTML 4.01 §B.2.2 recommended ";", and old clients still send it — folds `client_secret=…` into
 * one of those quoted values. Whatever the shape of the body, the secret must not reach the event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import { type AdapterUnderTest, type ConformanceContext, createConformanceContext, mount } from '../helpers/context.js';
import { FORM_CONTENT_TYPE } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectRefusal } from './support.js';

const SECRET = 'S3cr3t-Value-That-Must-Not-Be-Logged-0123';

describe.each(ADAPTERS)('ATTACK secrets folded into quoted request values reach the operator events, through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    const clients: ClientMetadata[] = [{ client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, scope: 'read' }];
    server = await mount(adapter, context, context.createEndpoint({ clients }));
  });
  afterAll(() => server.server.close());

  it.each([
    ['";" separators: the secret folds into grant_type', `grant_type=client_credentials;client_secret=${SECRET};client_id=secret-post`, 400, 'unsupported_grant_type', 'grant_type_unsupported'],
    ['";" separators: the secret folds into client_id', `client_id=secret-post;client_secret=${SECRET}&grant_type=client_credentials`, 401, 'invalid_client', 'client_unknown'],
    ['";" separators: the secret folds into scope', `grant_type=client_credentials&scope=read;client_id=secret-post;client_secret=${SECRET}`, 401, 'invalid_client', 'client_auth_missing'],
    ['the secret as a query of resource', `grant_type=client_credentials&client_id=secret-post&client_secret=${SECRET}&resource=https://api.example.test/x?client_secret=${SECRET}`, 400, 'invalid_target', 'resource_not_allowed'],
    ['a percent-encoded "&" folds the secret into grant_type', `grant_type=client_credentials%26client_id%3Dsecret-post%26client_secret%3D${SECRET}`, 400, 'unsupported_grant_type', 'grant_type_unsupported'],
  ] as const)('%s: %s → %s, and the event holds no secret', async (_name, body, status, error, reason: ReasonCode) => {
    const response = await server.request({ body, headers: FORM_CONTENT_TYPE });
    const event = expectRefusal(response, server, { status, error, reason, secrets: [SECRET] });
    const recorded = JSON.stringify(event);
    expect(recorded).not.toContain(SECRET);
    expect(recorded).not.toContain(SECRET.slice(0, 16));
  });
});
