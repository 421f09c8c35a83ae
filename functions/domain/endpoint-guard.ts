/**
 * Per-endpoint isolation inside one sender instance: a circuit breaker and a bulkhead.
 *
 * - After `failureThreshold` failures in a row (timeouts, connection errors, 5xx, 429) the
 *   endpoint's circuit opens for a cool-off that doubles on every failed probe (up to
 *   `maxCoolOffMs`); while it is open its deliveries are deferred without a POST. When the
 *   cool-off ends one delivery goes through as a probe; a success closes the circuit.
 * - Bulkhead: an endpoint whose last answer came within `slowMs`, with none of its POSTs in
 *   flight longer, has no limit. An endpoint not known to be quick (new to this instance, or
 *   slow) gets at most `maxInFlight` POSTs at a time (a batch's worth), and one that has
 *   failed since its last success `maxInFlightSuspect`: an endpoint that hangs holds few
 *   batches waiting, while a slow but working one is still served.
 *
 * A deferral spends no attempt; the sender only defers while the message's receive budget
 * (maxReceiveCount) can afford it, so a deferral can never push a delivery into the DLQ.
 */
export interface EndpointGuardOptions {
  failureThreshold?: number;
  baseCoolOffMs?: number;
  maxCoolOffMs?: number;
  maxInFlight?: number;
  maxInFlightSuspect?: number;
  slowMs?: number;
  now?: () => number;
}

export type Admission =
  | { admitted: true; release: (ok: boolean) => void }
  | { admitted: false; reason: 'open' | 'busy'; retryInMs: number };

interface State {
  failures: number;
  openUntil: number;
  coolOffMs: number;
  /** Start times of the POSTs in flight. */
  inFlight: number[];
  probing: boolean;
  /** Its last POST succeeded within slowMs. */
  quick: boolean;
  /** Deliveries waiting in this instance for a POST slot. */
  waiters: (() => void)[];
}

const MAX_ENDPOINTS = 5000;

export class EndpointGuard {
  private readonly states = new Map<string, State>();
  private readonly threshold: number;
  private readonly baseCoolOffMs: number;
  private readonly maxCoolOffMs: number;
  private readonly maxInFlight: number;
  private readonly maxInFlightSuspect: number;
  private readonly slowMs: number;
  private readonly now: () => number;

  constructor(options: EndpointGuardOptions = {}) {
    this.threshold = options.failureThreshold ?? 5;
    this.baseCoolOffMs = options.baseCoolOffMs ?? 5_000;
    this.maxCoolOffMs = options.maxCoolOffMs ?? 300_000;
    this.maxInFlight = options.maxInFlight ?? 10;
    this.maxInFlightSuspect = options.maxInFlightSuspect ?? 2;
    this.slowMs = options.slowMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * `busyRetryMs`: when to come back if the endpoint has its POSTs in flight already (about
   * when one of them must have ended: the attempt timeout).
   */
  admit(endpoint: string, busyRetryMs: number): Admission {
    const s = this.state(endpoint);
    const now = this.now();
    if (s.openUntil > now) return { admitted: false, reason: 'open', retryInMs: s.openUntil - now };
    const halfOpen = s.failures >= this.threshold;
    if (halfOpen && s.probing) return { admitted: false, reason: 'open', retryInMs: s.coolOffMs };
    if (!halfOpen) {
      // A failing endpoint frees a slot within the attempt timeout; a slow one sooner.
      if (s.failures > 0 && s.inFlight.length >= this.maxInFlightSuspect)
        return { admitted: false, reason: 'busy', retryInMs: busyRetryMs };
      const quick = s.quick && !this.hasSlowPost(s, now);
      if (!quick && s.inFlight.length >= this.maxInFlight)
        return { admitted: false, reason: 'busy', retryInMs: Math.min(busyRetryMs, this.slowMs) };
    }
    s.inFlight.push(now);
    if (halfOpen) s.probing = true;
    let released = false;
    return {
      admitted: true,
      release: (ok: boolean) => {
        if (released) return;
        released = true;
        this.release(s, now, halfOpen, ok);
      },
    };
  }

  /**
   * Like `admit`, but a delivery that finds the bulkhead full waits up to `waitMs` in this
   * instance for a slot (a quick endpoint frees one in milliseconds) before it is deferred.
   */
  acquire(endpoint: string, busyRetryMs: number, waitMs: number): Admission | Promise<Admission> {
    // Admitted at once (nearly always) without a promise: this runs for every delivery.
    const a = this.admit(endpoint, busyRetryMs);
    if (a.admitted || a.reason === 'open') return a;
    return this.waitForSlot(endpoint, busyRetryMs, waitMs, a);
  }

  private async waitForSlot(endpoint: string, busyRetryMs: number, waitMs: number, first: Admission): Promise<Admission> {
    // Real time, not the injectable clock: this is a wait in this process.
    const deadline = performance.now() + waitMs;
    let a = first;
    for (;;) {
      if (a.admitted || a.reason === 'open') return a;
      const left = deadline - performance.now();
      const s = this.state(endpoint);
      // Worth waiting only while the endpoint may yet prove quick: no failure, nothing hanging.
      if (left <= 0 || s.failures > 0 || this.hasSlowPost(s, this.now())) return a;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, left);
        function wake() {
          clearTimeout(timer);
          const i = s.waiters.indexOf(wake);
          if (i >= 0) s.waiters.splice(i, 1);
          resolve();
        }
        s.waiters.push(wake);
      });
      a = this.admit(endpoint, busyRetryMs);
    }
  }

  /** Whether one of the endpoint's POSTs in flight started more than slowMs before `now`. */
  private hasSlowPost(s: State, now: number): boolean {
    const inFlight = s.inFlight;
    for (let i = 0; i < inFlight.length; i++) if (now - inFlight[i]! > this.slowMs) return true;
    return false;
  }

  /**
   * The result of a POST made past the guard (a lot's probe, a person's manual retry): the
   * endpoint's circuit learns from it as from its own.
   */
  observe(endpoint: string, ok: boolean): void {
    this.release(this.state(endpoint), this.now(), false, ok);
  }

  /** Whether the endpoint's circuit is open (or half-open) now. */
  isOpen(endpoint: string): boolean {
    const s = this.states.get(endpoint);
    return !!s && s.failures >= this.threshold;
  }

  private release(s: State, started: number, probe: boolean, ok: boolean): void {
    const i = s.inFlight.indexOf(started);
    if (i >= 0) s.inFlight.splice(i, 1);
    s.waiters[0]?.();
    if (probe) s.probing = false;
    s.quick = ok && this.now() - started <= this.slowMs;
    if (ok) {
      s.failures = 0;
      s.openUntil = 0;
      s.coolOffMs = this.baseCoolOffMs;
      return;
    }
    s.failures++;
    if (probe) s.coolOffMs = Math.min(this.maxCoolOffMs, s.coolOffMs * 2);
    if (s.failures >= this.threshold) s.openUntil = this.now() + s.coolOffMs;
  }

  private state(endpoint: string): State {
    let s = this.states.get(endpoint);
    if (!s) {
      if (this.states.size >= MAX_ENDPOINTS) {
        for (const [k, v] of this.states) if (v.inFlight.length === 0 && v.failures === 0 && v.waiters.length === 0) this.states.delete(k);
      }
      s = { failures: 0, openUntil: 0, coolOffMs: this.baseCoolOffMs, inFlight: [], probing: false, quick: false, waiters: [] };
      this.states.set(endpoint, s);
    }
    return s;
  }
}
