import { describe, expect, it } from 'vitest';
import { pickFair, QUIET_AFTER_MS, type Tenant, TenantLoad } from '../../local/aws-rules/sqs-fair-queue.js';

/** A clock the test moves. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** `n` messages of a tenant sent and waiting. */
function waiting(load: TenantLoad, tenant: Tenant, n: number) {
  load.ready(tenant, n);
}

/** `n` of a tenant's waiting messages received and still in flight. */
function receive(load: TenantLoad, tenant: Tenant, n: number) {
  load.ready(tenant, -n);
  for (let i = 0; i < n; i++) load.inFlight(tenant, 1);
}

describe('which tenant is noisy', () => {
  it('one with more than 10 % of the in-flight messages and at least 30 of them, while it has a backlog', () => {
    const c = clock();
    const load = new TenantLoad(c.now);
    waiting(load, 'noisy', 100);
    receive(load, 'noisy', 29);
    waiting(load, 'quiet', 3);
    receive(load, 'quiet', 1);
    expect(load.noisy()).toEqual(new Set());
    receive(load, 'noisy', 1);
    expect(load.noisy()).toEqual(new Set(['noisy']));
    // Its backlog drained: no longer noisy, however many it has in flight.
    receive(load, 'noisy', 70);
    expect(load.noisy()).toEqual(new Set());
  });

  it('not one with 30 in flight that is no more than 10 % of the queue', () => {
    const load = new TenantLoad(clock().now);
    for (const t of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) {
      waiting(load, t, 40);
      receive(load, t, 30);
    }
    // Each has exactly 10 %: "more than" is not met.
    expect(load.noisy()).toEqual(new Set());
    receive(load, 'a', 5);
    expect(load.noisy()).toEqual(new Set(['a']));
  });

  it('one with more than 10 % of the last minute of processing time, even with few in flight', () => {
    const c = clock();
    const load = new TenantLoad(c.now);
    // Each had one message in flight a moment ago (processing is time in flight).
    for (const t of ['slow', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9', 'q10']) {
      waiting(load, t, 5);
      receive(load, t, 1);
      load.inFlight(t, -1);
    }
    for (const t of ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9', 'q10']) load.processed(t, 100);
    load.processed('slow', 5_000);
    expect(load.noisy()).toEqual(new Set(['slow']));
    // A minute on, that time is no longer recent.
    c.advance(61_000);
    expect(load.noisy()).toEqual(new Set());
  });

  it('stops being noisy once none of its messages has been in flight for 5 minutes in a row, backlog or not', () => {
    const c = clock();
    const load = new TenantLoad(c.now);
    waiting(load, 'noisy', 100);
    receive(load, 'noisy', 40);
    load.processed('noisy', 50_000);
    expect(load.noisy()).toEqual(new Set(['noisy']));
    // Its 40 leave flight; its backlog of 60 stays. Its recent processing time still marks it.
    for (let i = 0; i < 40; i++) load.inFlight('noisy', -1);
    expect(load.noisy()).toEqual(new Set(['noisy']));
    c.advance(QUIET_AFTER_MS - 1);
    load.processed('other', 1);
    expect(load.noisy()).toEqual(new Set());
    // One in flight again, with its time: noisy again at once.
    receive(load, 'noisy', 1);
    load.processed('noisy', 10_000);
    expect(load.noisy()).toEqual(new Set(['noisy']));
  });

  it('never a message without a group id: each is a tenant of its own', () => {
    const load = new TenantLoad(clock().now);
    waiting(load, undefined, 100);
    receive(load, undefined, 60);
    load.processed(undefined, 10_000);
    expect(load.noisy()).toEqual(new Set());
    expect(load.totalInFlight).toBe(60);
  });
});

describe('which messages a receive hands out', () => {
  const tenantOf = (m: string) => (m.startsWith('-') ? undefined : m.split(':')[0]);
  /** A queue's ready messages, in arrival order, with the load they make. */
  function queue(messages: string[], inFlight: Record<string, number> = {}) {
    const load = new TenantLoad(clock().now);
    for (const m of messages) waiting(load, tenantOf(m), 1);
    for (const [t, n] of Object.entries(inFlight)) {
      waiting(load, t, n);
      receive(load, t, n);
    }
    return load;
  }
  const pick = (messages: string[], count: number, load: TenantLoad) => pickFair(messages, count, tenantOf, load)?.map((i) => messages[i]);

  it('in arrival order when nobody is noisy', () => {
    const ready = ['a:1', 'b:1', 'a:2', 'c:1'];
    expect(pickFair(ready, 10, tenantOf, queue(ready))).toBeUndefined();
  });

  it("quiet tenants' waiting messages first, in arrival order, then the noisy tenant's", () => {
    const ready = ['n:1', 'n:2', 'q1:1', 'n:3', 'q2:1', '-lone', 'q1:2', 'n:4'];
    const load = queue(ready, { n: 40 });
    expect(pick(ready, 10, load)).toEqual(['q1:1', 'q2:1', '-lone', 'q1:2', 'n:1', 'n:2', 'n:3', 'n:4']);
    expect(pick(ready, 3, load)).toEqual(['q1:1', 'q2:1', '-lone']);
  });

  it('among noisy tenants, the one with the fewest in flight first', () => {
    const ready = ['a:1', 'a:2', 'a:3', 'b:1', 'b:2', 'b:3'];
    const load = queue(ready, { a: 40, b: 38 });
    expect(load.noisy()).toEqual(new Set(['a', 'b']));
    // b has two fewer in flight: it gets two, then they alternate (a first on a tie: its message came first).
    expect(pick(ready, 6, load)).toEqual(['b:1', 'b:2', 'a:1', 'b:3', 'a:2', 'a:3']);
  });

  it('stays cheap with a backlog of 30,000: a receive scans forward once, never the queue again per message', () => {
    const ready = [...Array.from({ length: 30_000 }, (_, i) => `n:${i}`), 'q:1', 'q:2'];
    const load = queue(ready, { n: 50 });
    const started = performance.now();
    for (let i = 0; i < 100; i++) expect(pick(ready, 10, load)!.slice(0, 2)).toEqual(['q:1', 'q:2']);
    // 100 receives over the whole backlog: milliseconds on an idle machine, well under this on a busy one.
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
