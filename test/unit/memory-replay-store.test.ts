/**
 * The in-memory replay store (RFC 7523 §3 item 7: a jti is accepted once). Its contract, from
 * src/replay/replay-store.ts: `true` only for the first use of a (client, jti) pair; an entry is
 * never forgotten before its expiry (inclusive); when full of live entries it refuses
 * (`replay_store_full`, fail closed) rather than forget one; expired entries make room.
 */
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors/errors.js';
import { createMemoryReplayStore } from '../../src/replay/memory-store.js';

function storeAt(start: number, maxEntries?: number) {
  const clock = { now: start };
  const store = createMemoryReplayStore({ now: () => clock.now, ...(maxEntries === undefined ? {} : { maxEntries }) });
  return { clock, store };
}

describe('memory replay store', () => {
  it('RFC 7523 §3 item 7: first use true, any later use of the same pair false', async () => {
    const { store } = storeAt(1_000);
    expect(await store.consume('svc', 'jti-1', 60_000)).toBe(true);
    expect(await store.consume('svc', 'jti-1', 60_000)).toBe(false);
    expect(await store.consume('svc', 'jti-1', 90_000)).toBe(false);
    expect(store.size).toBe(1);
  });

  it('pairs of different clients never collide', async () => {
    const { store } = storeAt(1_000);
    expect(await store.consume('a', 'same', 60_000)).toBe(true);
    expect(await store.consume('b', 'same', 60_000)).toBe(true);
    expect(await store.consume('a:b', 'c', 60_000)).toBe(true);
    expect(await store.consume('a', 'b:c', 60_000)).toBe(true);
    expect(store.size).toBe(4);
  });

  it('keeps an entry through its expiry, inclusive; a millisecond later the pair is new again', async () => {
    const { clock, store } = storeAt(1_000);
    expect(await store.consume('svc', 'j', 5_000)).toBe(true);
    clock.now = 5_000;
    expect(await store.consume('svc', 'j', 9_000)).toBe(false);
    clock.now = 5_001;
    expect(await store.consume('svc', 'j', 9_000)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('fails closed when full of live entries, and never for a replay', async () => {
    const { store } = storeAt(1_000, 3);
    for (const jti of ['1', '2', '3']) expect(await store.consume('svc', jti, 60_000)).toBe(true);
    await expect(store.consume('svc', '4', 60_000)).rejects.toMatchObject({ reason: 'replay_store_full' });
    await expect(store.consume('other', '4', 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.consume('svc', '2', 60_000)).toBe(false);
    expect(store.size).toBe(3);
  });

  it('expired entries make room: a full sweep when the store is full, of every client', async () => {
    const { clock, store } = storeAt(1_000, 3);
    expect(await store.consume('idle', 'x', 2_000)).toBe(true);
    expect(await store.consume('idle', 'y', 2_000)).toBe(true);
    expect(await store.consume('busy', 'z', 60_000)).toBe(true);
    clock.now = 3_000;
    // "idle" never calls again; its expired entries go in the full sweep.
    expect(await store.consume('busy', 'w', 60_000)).toBe(true);
    expect(store.size).toBe(2);
    expect(await store.consume('busy', 'v', 60_000)).toBe(true);
    expect(store.size).toBe(3);
  });

  it("a client's own calls sweep its expired entries a few at a time", async () => {
    const { clock, store } = storeAt(1_000);
    for (let index = 0; index < 10; index++) expect(await store.consume('svc', `old-${index}`, 2_000)).toBe(true);
    clock.now = 3_000;
    expect(await store.consume('svc', 'new-1', 60_000)).toBe(true);
    expect(store.size).toBe(7); // 4 swept, 1 added
    expect(await store.consume('svc', 'new-2', 60_000)).toBe(true);
    expect(await store.consume('svc', 'new-3', 60_000)).toBe(true);
    expect(store.size).toBe(3);
  });

  it('an expired pair still held is accepted once more, and then held again', async () => {
    const { clock, store } = storeAt(1_000);
    expect(await store.consume('svc', 'live', 60_000)).toBe(true);
    expect(await store.consume('svc', 'j', 2_000)).toBe(true);
    clock.now = 2_500;
    // The head ("live") is not due, so "j" is still in the map, expired.
    expect(await store.consume('svc', 'j', 9_000)).toBe(true);
    expect(await store.consume('svc', 'j', 9_000)).toBe(false);
    expect(store.size).toBe(2);
  });
});
