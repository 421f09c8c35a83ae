import type { HourOutcome } from './api.js';

const W = 720;
const H = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 26 };

/** Succeeded (bottom) and failed (top) deliveries per hour, stacked, drawn as SVG. */
export function OutcomeChart({ hours }: { hours: HourOutcome[] }) {
  const max = Math.max(1, ...hours.map((h) => h.succeeded + h.failed));
  const ceiling = niceCeiling(Math.max(4, max));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / hours.length;
  const barW = Math.max(2, slot * 0.7);
  const y = (n: number) => PAD.top + plotH - (n / ceiling) * plotH;
  const total = hours.reduce((a, h) => ({ s: a.s + h.succeeded, f: a.f + h.failed }), { s: 0, f: 0 });
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Last 24 hours: ${total.s} succeeded, ${total.f} failed`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(ceiling * f)} y2={y(ceiling * f)} />
            <text class="axis" x={PAD.left - 6} y={y(ceiling * f) + 4} text-anchor="end">
              {Math.round(ceiling * f)}
            </text>
          </g>
        ))}
        {hours.map((h, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          return (
            <g key={h.hour}>
              <title>{`${new Date(h.hour).toLocaleString(undefined, { hour: '2-digit', minute: '2-digit' })}: ${h.succeeded} succeeded, ${h.failed} failed`}</title>
              {h.succeeded > 0 && <rect class="ok" x={x} width={barW} y={y(h.succeeded)} height={y(0) - y(h.succeeded)} />}
              {h.failed > 0 && (
                <rect class="fail" x={x} width={barW} y={y(h.succeeded + h.failed)} height={y(h.succeeded) - y(h.succeeded + h.failed)} />
              )}
              {i % 6 === 0 && (
                <text class="axis" x={x + barW / 2} y={H - 8} text-anchor="middle">
                  {new Date(h.hour).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span class="key ok" /> Succeeded <b>{total.s}</b>
        <span class="key fail" /> Failed <b>{total.f}</b>
      </figcaption>
    </figure>
  );
}

function niceCeiling(n: number): number {
  const step = 10 ** Math.floor(Math.log10(n));
  // Even multiples, so the half-way line is a whole number too.
  for (const m of [1, 2, 4, 10]) if (m * step >= n) return m * step;
  return 10 * step;
}
