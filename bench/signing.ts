import { Webhook } from 'standardwebhooks';
import { generateSecret, signHeaders } from '../functions/domain/signing.js';
import { median, paddedData } from './support.js';

/**
 * Figure 2: signatures per second of our signHeaders (node:crypto HMAC) against the
 * standardwebhooks package's Webhook#sign (pure-JS fast-sha256), same secret, id, timestamp
 * and ~1 KB body. The Webhook is built once, as we reuse the secret too.
 */

export interface SigningFigure {
  bodyBytes: number;
  ours: number;
  theirs: number;
  ratio: number;
  runs: { ours: number[]; theirs: number[] };
}

/** Calls `f` in chunks until `ms` have passed; answers calls per second. */
function rate(f: (i: number) => unknown, ms: number): number {
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 1000; i++) sink += (f(n + i) as string).length;
    n += 1000;
    t = performance.now();
  }
  if (sink === 0) throw new Error('unreachable');
  return n / ((t - t0) / 1000);
}

export function measureSigning(options: { runsEach: number; ms: number; log: (line: string) => void }): SigningFigure {
  const secret = generateSecret();
  const body = JSON.stringify({
    id: 'evt_2xY9kQ7wHn3pLm2',
    type: 'card.created',
    timestamp: new Date().toISOString(),
    data: paddedData(900),
  });
  const id = 'msg_2xY9kQ7wHn3pLm2aBcD';
  const date = new Date();
  const ts = Math.floor(date.getTime() / 1000);
  const wh = new Webhook(secret);

  const ours = (_i: number) => signHeaders([secret], id, ts, body)['webhook-signature'];
  const theirs = (_i: number) => wh.sign(id, date, body);
  if (ours(0) !== theirs(0)) throw new Error(`signatures differ: ${ours(0)} vs ${theirs(0)}`);

  rate(ours, 300);
  rate(theirs, 300);
  const runs = { ours: [] as number[], theirs: [] as number[] };
  for (let i = 0; i < options.runsEach; i++) {
    runs.theirs.push(rate(theirs, options.ms));
    runs.ours.push(rate(ours, options.ms));
    options.log(`  standardwebhooks ${runs.theirs.at(-1)!.toFixed(0).padStart(7)}/s   ours ${runs.ours.at(-1)!.toFixed(0).padStart(7)}/s`);
  }
  const o = median(runs.ours);
  const t = median(runs.theirs);
  return { bodyBytes: Buffer.byteLength(body), ours: o, theirs: t, ratio: o / t, runs };
}
