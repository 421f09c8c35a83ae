// A webhook receiver with Node's standard library only: verifies Standard Webhooks signatures
// over the raw body, refuses timestamps more than 5 minutes away, and processes each webhook-id once.
//   WEBHOOK_SECRET=whsec_... PORT=8000 node receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const TOLERANCE_SECONDS = 5 * 60;

/** Throws a Refusal unless one of the signatures in the headers is ours over these exact bytes. */
function verify(secret, headers, rawBody, nowSeconds = Math.floor(Date.now() / 1000)) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) throw new Refusal(400, 'missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d+$/.test(timestamp)) throw new Refusal(400, 'invalid webhook-timestamp');
  if (nowSeconds - Number(timestamp) > TOLERANCE_SECONDS) throw new Refusal(400, 'timestamp too old');
  if (Number(timestamp) - nowSeconds > TOLERANCE_SECONDS) throw new Refusal(400, 'timestamp too new');

  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  // Several space-separated signatures during a secret rotation: any one of them will do.
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    const given = Buffer.from(signature, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  }
  throw new Refusal(401, 'no matching signature');
}

class Refusal extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('Set WEBHOOK_SECRET to the subscription secret (whsec_...).');
  process.exit(2);
}

// webhook-ids already accepted. A real receiver keeps them in its database (a unique key) for
// as long as a webhook can come again: 30 days covers retries and a dead-letter redrive.
const seen = new Set();

function handle(headers, rawBody) {
  verify(secret, headers, rawBody);
  let event;
  try {
    event = JSON.parse(rawBody.toString('utf8')); // only once the signature is verified
  } catch {
    throw new Refusal(400, 'body is not JSON');
  }
  const id = headers['webhook-id'];
  // The endpoint verification handshake (on subscribing, and when the URL changes): no event to
  // process, only the challenge to echo; not kept in `seen`, as its retries must be answered too.
  if (event.type === 'webhook.endpoint.verification') {
    console.log(`verification ${id}`);
    return [200, JSON.stringify({ challenge: event.data?.challenge }), 'application/json'];
  }
  // A replay of an accepted webhook: answer 200 so that the sender stops, but do nothing again.
  if (seen.has(id)) {
    console.log(`duplicate ${id}`);
    return [200, 'duplicate'];
  }
  // Here a real receiver puts the event on its queue (docs/receiving-webhooks.md), then answers.
  console.log(`processed ${id} ${event.type}`);
  seen.add(id);
  return [200, 'accepted'];
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let status = 405;
    let text = 'POST only';
    let contentType = 'text/plain';
    if (req.method === 'POST') {
      try {
        [status, text, contentType = 'text/plain'] = handle(req.headers, Buffer.concat(chunks));
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        [status, text] = [err.status, err.message];
        console.log(`refused ${status} ${text}`);
      }
    }
    res.writeHead(status, { 'content-type': contentType }).end(text);
  });
});

server.listen(Number(process.env.PORT ?? process.argv[2] ?? 8000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
