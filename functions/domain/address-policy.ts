import ipaddr from 'ipaddr.js';

/**
 * Which network addresses a webhook may be sent to. Used twice: on the URL when a
 * subscription is written (literal addresses in any spelling) and on every resolved address
 * at send time (DNS can point anywhere, and can change between the two).
 */

export interface AddressPolicy {
  /** Local mode only: deliver to 127.0.0.0/8, ::1 and `localhost` over http. */
  allowLoopback: boolean;
}

export const AWS_POLICY: AddressPolicy = { allowLoopback: false };
export const LOCAL_POLICY: AddressPolicy = { allowLoopback: true };

/**
 * ipaddr.js's range names. Only public unicast is deliverable; loopback is deliverable in
 * local mode. Everything else (private, CGNAT, link-local with the 169.254.169.254 metadata
 * service, unique-local with fd00:ec2::254, multicast, unspecified, reserved, the 6to4/NAT64
 * embeddings of such addresses) is refused.
 */
function rangeOf(address: string): { range: string; normalized: string } {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return { range: parsed.range(), normalized: parsed.toString() };
}

/** Null when the address may be contacted, otherwise why not. */
export function refusalForAddress(address: string, policy: AddressPolicy): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return `${address} is not an IP address`;
  const { range, normalized } = rangeOf(bare);
  if (range === 'unicast') return null;
  if (range === 'loopback' && policy.allowLoopback) return null;
  return `${normalized} is a ${describeRange(range)} address, which webhooks may not be sent to`;
}

function describeRange(range: string): string {
  const names: Record<string, string> = {
    loopback: 'loopback',
    private: 'private (RFC 1918)',
    carrierGradeNat: 'carrier-grade NAT',
    linkLocal: 'link-local (cloud metadata)',
    uniqueLocal: 'unique-local',
    multicast: 'multicast',
    unspecified: 'unspecified',
    broadcast: 'broadcast',
    reserved: 'reserved',
  };
  return names[range] ?? `non-public (${range})`;
}

export function isLoopbackName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

export const MAX_URL_LENGTH = 2048;

/**
 * Checks a callback URL as written; null when acceptable. WHATWG URL parsing already turns
 * decimal, hex, octal and short IPv4 spellings into dotted quads, and IPv4-mapped IPv6 into
 * hex groups, so the literal check sees every spelling of an address.
 */
export function refusalForUrl(raw: string, policy: AddressPolicy): string | null {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://example.com/webhooks';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  const host = url.hostname;
  const isIpLiteral = host.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(host);
  const loopbackHost =
    isLoopbackName(host) || (isIpLiteral && refusalForAddress(host, { allowLoopback: false })?.includes('loopback') === true);
  if (url.protocol === 'http:') {
    if (!(policy.allowLoopback && loopbackHost)) {
      return policy.allowLoopback ? 'must use https (http is allowed for localhost and 127.0.0.1 in local mode only)' : 'must use https';
    }
  } else if (url.protocol !== 'https:') {
    return 'must use https';
  }
  if (isLoopbackName(host)) return policy.allowLoopback ? null : `${host} is a loopback name, which webhooks may not be sent to`;
  if (isIpLiteral) return refusalForAddress(host, policy);
  if (!host.includes('.')) return 'must name a fully qualified host';
  return null;
}
