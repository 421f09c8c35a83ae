// The benchmark's webhook receiver, run as its own `node` process so that it never shares an
// event loop (or, on two cores, a core) with the code under test. It answers every POST with
// 200 "ok" at once, keeps connections alive, and counts what it got: GET /__count answers the
// number of POSTs so far. The parent learns the port over IPC and kills the process at the end.
import { createServer } from 'node:http';

let posts = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__count') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(String(posts));
    return;
  }
  req.on('data', () => undefined);
  req.on('end', () => {
    posts++;
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
