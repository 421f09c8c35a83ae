// The benchmark's HTTP load generator, run as its own `node` process so that its clients never
// share an event loop with the code under test (as bench/receiver.mjs is for receivers). The
// parent sends { url, headers, body, requests, concurrency, expect } over IPC; this answers
// { perSecond, latencies } once every request is answered, or { error } at the first answer
// other than `expect`. Keep-alive connections, at most `concurrency` requests in flight. With
// `rate`, request i is due at i / rate seconds (an open loop, as independent API clients send)
// and its latency counts from when it was due, so a request held back behind a slow one is
// counted as waiting too.
import { Agent, request } from 'node:http';

process.on('message', async (job) => {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies = [];
  let next = 0;
  let failed;
  const one = (due) =>
    new Promise((resolve, reject) => {
      const t = due ?? performance.now();
      const req = request(job.url, { method: 'POST', headers: job.headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          latencies.push(performance.now() - t);
          if (res.statusCode !== job.expect) reject(new Error(`${job.url} answered ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolve();
        });
      });
      req.on('error', reject);
      req.end(job.body);
    });
  let t0 = 0;
  const worker = async () => {
    while (next < job.requests && !failed) {
      const i = next++;
      const due = job.rate ? t0 + (i * 1000) / job.rate : undefined;
      if (due !== undefined && due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      try {
        await one(due);
      } catch (err) {
        failed = err;
      }
    }
  };
  t0 = performance.now();
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  process.send(failed ? { error: failed.message } : { perSecond: job.requests / seconds, latencies });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
