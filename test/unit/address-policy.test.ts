import { describe, expect, it } from 'vitest';
import { AWS_POLICY, LOCAL_POLICY, refusalForAddress, refusalForUrl } from '../../functions/domain/address-policy.js';
import { FORBIDDEN_RESOLVED_IPV6, FORBIDDEN_URL_HOSTS } from '../fixtures/forbidden-addresses.js';

const LOOPBACK_URL_HOSTS = [
  '127.0.0.1',
  '127.1',
  '2130706433',
  '0x7f000001',
  '0177.0.0.1',
  '127.255.255.254',
  '[::1]',
  '[::ffff:127.0.0.1]',
  'localhost',
  'api.localhost',
];

describe('resolved addresses (send time)', () => {
  it.each(FORBIDDEN_RESOLVED_IPV6)('refuses %s everywhere (%s)', (address, why) => {
    expect(refusalForAddress(address, AWS_POLICY)).toContain(why);
    expect(refusalForAddress(address, LOCAL_POLICY)).toContain(why);
  });

  it('still allows public IPv6, IPv4-mapped public IPv4, and ::1 in local mode', () => {
    expect(refusalForAddress('2606:2800:220:1:248:1893:25c8:1946', AWS_POLICY)).toBeNull();
    expect(refusalForAddress('::ffff:93.184.216.34', AWS_POLICY)).toBeNull();
    expect(refusalForAddress('::1', LOCAL_POLICY)).toBeNull();
    expect(refusalForAddress('::1', AWS_POLICY)).toMatch(/loopback/);
    expect(refusalForAddress('::', LOCAL_POLICY)).toMatch(/unspecified/);
  });
});

describe('callback URL policy', () => {
  it.each(FORBIDDEN_URL_HOSTS)('refuses https://%s/ everywhere (%s)', (host, why) => {
    expect(refusalForUrl(`https://${host}/hook`, AWS_POLICY)).toContain(why);
    expect(refusalForUrl(`https://${host}/hook`, LOCAL_POLICY)).toContain(why);
  });

  it.each(LOOPBACK_URL_HOSTS)('refuses loopback %s on AWS, allows it in local mode', (host) => {
    expect(refusalForUrl(`https://${host}/hook`, AWS_POLICY)).toMatch(/loopback/);
    expect(refusalForUrl(`http://${host}:8080/hook`, LOCAL_POLICY)).toBeNull();
  });

  it('needs https on AWS and for every non-loopback host locally', () => {
    expect(refusalForUrl('http://example.com/hook', AWS_POLICY)).toBe('must use https');
    expect(refusalForUrl('http://example.com/hook', LOCAL_POLICY)).toMatch(/must use https \(http is allowed for localhost/);
    expect(refusalForUrl('ftp://example.com/hook', AWS_POLICY)).toBe('must use https');
    expect(refusalForUrl('https://example.com/hook', AWS_POLICY)).toBeNull();
    expect(refusalForUrl('https://93.184.216.34/hook', AWS_POLICY)).toBeNull();
  });

  it('refuses user info, unparsable URLs, single-label hosts and over-long URLs', () => {
    expect(refusalForUrl('https://user:pass@example.com/', AWS_POLICY)).toMatch(/user name or password/);
    expect(refusalForUrl('https://user@example.com/', AWS_POLICY)).toMatch(/user name or password/);
    expect(refusalForUrl('not a url', AWS_POLICY)).toMatch(/absolute URL/);
    expect(refusalForUrl('https://intranet/hook', AWS_POLICY)).toMatch(/fully qualified/);
    expect(refusalForUrl(`https://example.com/${'a'.repeat(2048)}`, AWS_POLICY)).toMatch(/2048/);
    expect(refusalForUrl(`https://example.com/${'a'.repeat(2048 - 'https://example.com/'.length)}`, AWS_POLICY)).toBeNull();
  });
});

describe('resolved address policy', () => {
  it.each([
    '10.1.1.1',
    '172.31.255.255',
    '192.168.0.1',
    '100.127.0.1',
    '169.254.169.254',
    'fd00:ec2::254',
    'fc00::1',
    'fe80::abcd',
    '::',
    '0.0.0.0',
    '239.1.1.1',
    '::ffff:192.168.0.1',
    '2001:db8::1',
  ])('refuses %s', (address) => {
    expect(refusalForAddress(address, AWS_POLICY)).toMatch(/may not be sent to/);
    expect(refusalForAddress(address, LOCAL_POLICY)).toMatch(/may not be sent to/);
  });

  it('allows public unicast, and loopback only in local mode', () => {
    expect(refusalForAddress('93.184.216.34', AWS_POLICY)).toBeNull();
    expect(refusalForAddress('2606:2800:220:1:248:1893:25c8:1946', AWS_POLICY)).toBeNull();
    expect(refusalForAddress('127.0.0.1', AWS_POLICY)).toMatch(/loopback/);
    expect(refusalForAddress('::1', AWS_POLICY)).toMatch(/loopback/);
    expect(refusalForAddress('::ffff:127.0.0.1', AWS_POLICY)).toMatch(/loopback/);
    expect(refusalForAddress('127.0.0.1', LOCAL_POLICY)).toBeNull();
    expect(refusalForAddress('::1', LOCAL_POLICY)).toBeNull();
  });
});
