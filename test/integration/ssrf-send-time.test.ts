import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Resolver, WebhookClient } from '../../functions/app/webhook-client.js';
import { AWS_POLICY, LOCAL_POLICY } from '../../functions/domain/address-policy.js';
import { FORBIDDEN_RESOLVED_IPV6, FORBIDDEN_URL_HOSTS } from '../fixtures/forbidden-addresses.js';
import { type Receiver, startReceiver } from '../support/receiver.js';

/**
 * The guard at send time, with the policy deployed on AWS. Every target is a spelling of an
 * address on this machine or a name our fake DNS resolves to one; the receiver listening on
 * loopback proves that nothing got through. Private and link-local literals are refused
 * before any connection is tried, so no real private host is ever contacted.
 */
describe('SSRF guard at send time', () => {
  let receiver: Receiver;
  let port: string;
  beforeAll(async () => {
    receiver = await startReceiver();
    port = new URL(receiver.url).port;
  });
  afterAll(async () => receiver?.close());

  // A DNS that answers whatever a test needs: loopback, a rebinding answer, a mixed answer.
  const answers: Record<string, { address: string; family: number }[]> = {
    'loopback.hooks.example': [{ address: '127.0.0.1', family: 4 }],
    'mixed.hooks.example': [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ],
    'mapped.hooks.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
    'v6.hooks.example': [{ address: '::1', family: 6 }],
    'metadata.hooks.example': [{ address: '169.254.169.254', family: 4 }],
  };
  const fakeDns: Resolver = (hostname, _options, callback) => {
    const a = answers[hostname];
    if (a) callback(null, a);
    else callback(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
  };

  const aws = () => new WebhookClient({ policy: AWS_POLICY, timeoutMs: 2000, userAgent: 'test', resolver: fakeDns });

  const loopbackSpellings = ['127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '[::1]', '[::ffff:127.0.0.1]', 'localhost'];

  it.each(loopbackSpellings)('refuses http(s)://%s (loopback) without connecting', async (host) => {
    const client = aws();
    const result = await client.post(`https://${host}:${port}/webhook`, {}, '{}');
    expect(result).toMatchObject({ kind: 'error', error: 'refused' });
    await client.close();
  });

  it.each(FORBIDDEN_URL_HOSTS)('refuses the literal %s (%s) before any connection', async (host, why) => {
    const client = aws();
    const result = await client.post(`https://${host}/webhook`, {}, '{}');
    expect(result).toMatchObject({ kind: 'error', error: 'refused' });
    expect((result as { message: string }).message).toContain(why);
    await client.close();
  });

  it.each(FORBIDDEN_RESOLVED_IPV6)('refuses a name that resolves to %s (%s), in local mode too', async (address, why) => {
    for (const policy of [AWS_POLICY, LOCAL_POLICY]) {
      const resolver: Resolver = (_hostname, _options, callback) => callback(null, [{ address, family: 6 }]);
      const client = new WebhookClient({ policy, timeoutMs: 2000, userAgent: 'test', resolver });
      const result = await client.post(`https://embedded.hooks.example:${port}/webhook`, {}, '{}');
      expect(result).toMatchObject({ kind: 'error', error: 'refused' });
      expect((result as { message: string }).message).toContain(why);
      await client.close();
    }
  });

  it.each(Object.keys(answers))('refuses %s, a name that resolves to a forbidden address (DNS rebinding)', async (name) => {
    const client = aws();
    const result = await client.post(`http://${name}:${port}/webhook`.replace('http:', 'https:'), {}, '{}');
    expect(result).toMatchObject({ kind: 'error', error: 'refused' });
    await client.close();
  });

  it('connects to the address it checked, not to a fresh lookup', async () => {
    // A second receiver on 127.0.0.2, which only our fake DNS gives out for `localhost`.
    const other = await startReceiver(undefined, '127.0.0.2');
    const otherPort = new URL(other.url).port;
    const local = new WebhookClient({
      policy: LOCAL_POLICY,
      timeoutMs: 2000,
      userAgent: 'test',
      resolver: (hostname, options, callback) =>
        hostname === 'localhost' ? callback(null, [{ address: '127.0.0.2', family: 4 }]) : fakeDns(hostname, options, callback),
    });
    const ok = await local.post(`http://localhost:${otherPort}/webhook`, {}, '{"ok":true}');
    expect(ok).toMatchObject({ kind: 'response', status: 200 });
    expect(other.requests).toHaveLength(1);
    // http is for loopback names only, even in local mode.
    expect(await local.post(`http://loopback.hooks.example:${port}/webhook`, {}, '{}')).toMatchObject({ kind: 'error', error: 'refused' });
    await local.close();
    await other.close();
  });

  it('no refused attempt ever reached the receiver', () => {
    expect(receiver.requests).toHaveLength(0);
  });
});
