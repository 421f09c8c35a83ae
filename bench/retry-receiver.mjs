// The cost bench's failing receiver (bench/retry-cost.ts), in its own `node` process like
// receiver.mjs. Every webhook-id's first `failFirst` POSTs are answered `status`, the rest 200
// "ok"; `failAll` answers every POST `status`. POST /__mode {"failFirst":1,"status":400} or
// {"failAll":true,"status":503} sets how; GET /__count answers the POSTs so far, GET /__ok the
// 2xx answers among them.
import { createServer } from 'node:http';

let posts = 0;
let ok = 0;
let mode = { failFirst: 0, failAll: false, status: 500 };
const seen = new Map();
const server = createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/__count' || req.url === '/__ok')) {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(String(req.url === '/__ok' ? ok : posts));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/__mode') {
      mode = { failFirst: 0, failAll: false, status: 500, ...JSON.parse(Buffer.concat(chunks).toString('utf8')) };
      res.writeHead(204).end();
      return;
    }
    posts++;
    const id = String(req.headers['webhook-id'] ?? '');
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (mode.failAll || n <= mode.failFirst) {
      res.writeHead(mode.status, { 'content-type': 'text/plain', 'content-length': '4' }).end('fail');
      return;
    }
    ok++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (process.send) process.send({ port });
  else console.log(`listening on http://127.0.0.1:${port}/webhook`);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
