import type { Subscription } from '../domain/model.js';
import {
  IN_FLIGHT_GAUGE_TTL_MS,
  IN_FLIGHT_WAIT_MAX_SECONDS,
  LOT_CACHE_TTL_MS,
  type Lot,
  PRESSURE_IN_FLIGHT_WAIT_MAX_SECONDS,
  underPressure,
} from '../domain/parking.js';
import type { InFlightGauge, LotStore } from '../ports.js';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, detail: Record<string, unknown>) => void;

const MAX_LOTS_KNOWN = 10_000;

/**
 * What one sender instance knows of subscriptions' lots. The common path reads nothing: a lot is
 * read only after a failed POST (or when the instance knew it open and that has gone stale), so
 * an instance that never fails to reach an endpoint never asks. Whatever it read is trusted for
 * LOT_CACHE_TTL_MS; a read that fails counts as no lot (the delivery goes to the endpoint).
 */
export class SenderLots {
  private readonly known = new Map<string, { lot: Lot | undefined; readAt: number }>();

  constructor(
    private readonly store: LotStore,
    private readonly nowMs: () => number,
    /** The waits between probes of a lot this instance opens (probeWaits of the retry schedule). */
    private readonly probes: { first: number; max: number },
    private readonly log?: Log,
  ) {}

  /** The lot as far as this instance knows, reading it only when it was open and that is stale. */
  async current(s: Subscription): Promise<Lot | undefined> {
    const k = keyOf(s);
    const e = this.known.get(k);
    if (!e) return undefined;
    if (this.nowMs() - e.readAt < LOT_CACHE_TTL_MS) return e.lot;
    if (e.lot?.state === 'open') return this.read(s);
    this.known.delete(k);
    return undefined;
  }

  /** After a failed POST: the lot as it is now, read unless this instance read it moments ago. */
  async afterFailure(s: Subscription): Promise<Lot | undefined> {
    const e = this.known.get(keyOf(s));
    if (e && this.nowMs() - e.readAt < LOT_CACHE_TTL_MS) return e.lot;
    return this.read(s);
  }

  /**
   * Opens the subscription's lot (the endpoint's circuit opened); undefined if that failed.
   * `opened`: this call opened it (another instance's lot, open already, is answered as stored).
   * `quiet`: opened while delivering an operational event (operational-events.ts, rule 2).
   */
  async open(s: Subscription, at: Date, quiet = false): Promise<{ lot: Lot; opened: boolean } | undefined> {
    const lot: Lot = {
      tenantId: s.tenantId,
      subscriptionId: s.id,
      state: 'open',
      url: s.url,
      openedTime: at.toISOString(),
      wakeTime: new Date(at.getTime() + this.probes.first * 1000).toISOString(),
      probeSeconds: this.probes.first,
      probeMaxSeconds: this.probes.max,
      ...(quiet ? { quiet: true as const } : {}),
    };
    try {
      const stored = await this.store.openLot(lot);
      this.remember(s, stored);
      return { lot: stored, opened: stored.openedTime === lot.openedTime && stored.state === 'open' };
    } catch (err) {
      this.log?.('error', 'could not open the lot; the delivery waits in flight', { subscriptionId: s.id, error: (err as Error).message });
      return undefined;
    }
  }

  async probeFailed(s: Subscription, at: Date): Promise<void> {
    await this.store.probeFailed(s.tenantId, s.id, at).catch((err: Error) => {
      // The resumer sends the next probe after the lot's wait anyway.
      this.log?.('warn', 'could not record a failed probe', { subscriptionId: s.id, error: err.message });
    });
  }

  /**
   * The endpoint answered while its lot was open (a probe, a manual retry, a changed URL): drain
   * it. Answers the lot as it was open when this call started its drain (else undefined).
   */
  async recovered(s: SubscriptionKey, at: Date): Promise<Lot | undefined> {
    const e = this.known.get(keyOf(s));
    try {
      const before = await this.store.recovered(s.tenantId, s.id, at);
      if (e?.lot) this.remember(s, { ...e.lot, state: 'draining' });
      return before;
    } catch (err) {
      // Its next probe succeeds too, and that one moves it on.
      this.log?.('warn', 'could not start draining a lot', { subscriptionId: s.id, error: (err as Error).message });
      return undefined;
    }
  }

  /** A drained delivery came: its lot is draining, whatever this instance saw of it before. */
  draining(s: Subscription): void {
    const e = this.known.get(keyOf(s));
    if (e?.lot?.state === 'open') this.remember(s, { ...e.lot, state: 'draining' });
  }

  private cursorReady = false;

  /**
   * Before this instance first parks anything: the resumer's cursor exists, at or before the
   * bucket before now (a first run that has not happened yet would start an hour back only).
   */
  async beforeParking(bucket: number): Promise<void> {
    if (this.cursorReady) return;
    try {
      await this.store.ensureCursor(bucket);
      this.cursorReady = true;
    } catch (err) {
      // The resumer's first run starts an hour back anyway; tried again at the next park.
      this.log?.('warn', "could not make sure of the resumer's cursor", { error: (err as Error).message });
    }
  }

  /** Whether this instance last saw the lot open (no read). */
  knownOpen(s: Subscription): boolean {
    return this.known.get(keyOf(s))?.lot?.state === 'open';
  }

  private async read(s: Subscription): Promise<Lot | undefined> {
    try {
      const lot = await this.store.getLot(s.tenantId, s.id);
      this.remember(s, lot);
      return lot;
    } catch (err) {
      this.log?.('warn', 'could not read a lot', { subscriptionId: s.id, error: (err as Error).message });
      return undefined;
    }
  }

  private remember(s: SubscriptionKey, lot: Lot | undefined): void {
    const k = keyOf(s);
    this.known.delete(k);
    if (this.known.size >= MAX_LOTS_KNOWN) this.known.delete(this.known.keys().next().value as string);
    this.known.set(k, { lot, readAt: this.nowMs() });
  }
}

/**
 * The delivery queue's in-flight count, read at most every IN_FLIGHT_GAUGE_TTL_MS per instance
 * and only when a wait is long enough for it to matter (between the pressure limit and the
 * in-flight limit): the common path never reads it.
 */
export class InFlightPressure {
  private reading: { value: number; at: number } | undefined;
  private pending: Promise<number> | undefined;

  constructor(
    private readonly gauge: InFlightGauge,
    private readonly budget: number,
    private readonly nowMs: () => number,
    private readonly log?: Log,
  ) {}

  /** Whether a wait of `seconds` should be parked because the queue is filling up. */
  async parksWait(seconds: number): Promise<boolean> {
    if (seconds <= PRESSURE_IN_FLIGHT_WAIT_MAX_SECONDS || seconds > IN_FLIGHT_WAIT_MAX_SECONDS) return false;
    return underPressure(await this.inFlight(), this.budget);
  }

  private async inFlight(): Promise<number> {
    if (this.reading && this.nowMs() - this.reading.at < IN_FLIGHT_GAUGE_TTL_MS) return this.reading.value;
    this.pending ??= this.gauge
      .inFlight()
      .then((value) => {
        this.reading = { value, at: this.nowMs() };
        return value;
      })
      .catch((err: Error) => {
        // Unknown: long waits are parked anyway; short ones stay in flight until the next reading.
        this.log?.('warn', 'could not read the delivery queue in-flight count', { error: err.message });
        this.reading = { value: 0, at: this.nowMs() };
        return 0;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

type SubscriptionKey = Pick<Subscription, 'tenantId' | 'id'>;
const keyOf = (s: SubscriptionKey) => `${s.tenantId}/${s.id}`;
