import { describe, expect, it } from 'vitest';
import { type Admission, EndpointGuard } from '../../functions/domain/endpoint-guard.js';

const E = 'https://hooks.example.com';

function admitted(a: Admission): (ok: boolean) => void {
  if (!a.admitted) throw new Error(`not admitted: ${a.reason}`);
  return a.release;
}

describe('EndpointGuard', () => {
  it('opens after 5 failures in a row, lets one probe through after the cool-off, doubles it on a failed probe, closes on success', () => {
    let now = 0;
    const g = new EndpointGuard({ now: () => now, baseCoolOffMs: 1000, maxCoolOffMs: 3000 });
    for (let i = 0; i < 4; i++) admitted(g.admit(E, 5000))(false);
    // A success in between resets the count.
    admitted(g.admit(E, 5000))(true);
    for (let i = 0; i < 5; i++) admitted(g.admit(E, 5000))(false);
    expect(g.isOpen(E)).toBe(true);
    expect(g.admit(E, 5000)).toEqual({ admitted: false, reason: 'open', retryInMs: 1000 });
    now = 1000;
    const probe = admitted(g.admit(E, 5000));
    // One probe at a time.
    expect(g.admit(E, 5000)).toMatchObject({ admitted: false, reason: 'open' });
    probe(false);
    expect(g.admit(E, 5000)).toEqual({ admitted: false, reason: 'open', retryInMs: 2000 });
    now = 3000;
    admitted(g.admit(E, 5000))(false);
    now = 3000 + 3000; // capped at 3 s
    admitted(g.admit(E, 5000))(true);
    expect(g.isOpen(E)).toBe(false);
    // Other endpoints never noticed.
    expect(g.admit('https://other.example.com', 5000).admitted).toBe(true);
  });

  it('lets a quick endpoint have any number of POSTs in flight, a new or slow one 10, a failing one 2', () => {
    let now = 0;
    const g = new EndpointGuard({ now: () => now });
    // New to this instance: a batch's worth until it has answered quickly once.
    const first = Array.from({ length: 10 }, () => admitted(g.admit(E, 5000)));
    expect(g.admit(E, 5000)).toEqual({ admitted: false, reason: 'busy', retryInMs: 1000 });
    for (const release of first) release(true);
    const quick = Array.from({ length: 30 }, () => g.admit(E, 5000));
    expect(quick.every((a) => a.admitted)).toBe(true);
    for (const a of quick.slice(10)) admitted(a)(true);
    // Twenty released; ten still in flight, now older than a second: slow.
    now = 1500;
    expect(g.admit(E, 5000)).toEqual({ admitted: false, reason: 'busy', retryInMs: 1000 });
    for (const a of quick.slice(0, 8)) admitted(a)(true);
    const third = admitted(g.admit(E, 5000));
    // It fails: at most 2 in flight (9 and the third), and back when a POST must have ended.
    admitted(quick[8]!)(false);
    expect(g.admit(E, 5000)).toEqual({ admitted: false, reason: 'busy', retryInMs: 5000 });
    third(false);
    expect(g.admit(E, 5000).admitted).toBe(true);
  });
});

describe('EndpointGuard.acquire', () => {
  it('answers at once, without a promise, when the endpoint has a slot or its circuit is open', async () => {
    let now = 0;
    const g = new EndpointGuard({ now: () => now, baseCoolOffMs: 1000 });
    const first = g.acquire(E, 5000, 1000);
    expect(first).not.toBeInstanceOf(Promise);
    admitted(first as Admission)(true);
    for (let i = 0; i < 5; i++) admitted(g.acquire(E, 5000, 1000) as Admission)(false);
    expect(g.acquire(E, 5000, 1000)).toEqual({ admitted: false, reason: 'open', retryInMs: 1000 });
    now = 1000;
    expect((g.acquire(E, 5000, 1000) as Admission).admitted).toBe(true);
    // The probe is out: a second delivery is held back at once, not made to wait.
    expect(g.acquire(E, 5000, 1000)).toEqual({ admitted: false, reason: 'open', retryInMs: 1000 });
  });

  it('waits for a slot of a busy endpoint, then gives up and answers busy', async () => {
    let now = 0;
    const g = new EndpointGuard({ now: () => now });
    const held = Array.from({ length: 10 }, () => admitted(g.admit(E, 5000)));
    const waiting = g.acquire(E, 5000, 1000);
    // A slow answer frees the slot without making the endpoint quick.
    now = 2000;
    held[0]!(true);
    expect((await waiting).admitted).toBe(true);
    expect(await g.acquire(E, 5000, 50)).toEqual({ admitted: false, reason: 'busy', retryInMs: 1000 });
  });
});
