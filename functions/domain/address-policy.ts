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
 * service, unique-local with fd00:ec2::254, multicast, unspecified, reserved, and the IPv6
 * forms that embed an IPv4 address: 6to4, Teredo, NAT64, SIIT) is refused. IPv4-mapped
 * addresses are judged by the IPv4 address they map. IPv4-compatible ones (`::/96`, deprecated
 * by RFC 4291, such as `::169.254.169.254`) are refused whatever they embed: ipaddr.js calls
 * them unicast, and some stacks still route them to the IPv4 address.
 */
function rangeOf(address: string): { range: string; normalized: string; embedded?: string } {
  let parsed = ipaddr.parse(address.includes(':') ? canonicalIPv6(address) : address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      parsed = v6.toIPv4Address();
    } else if (v6.parts.slice(0, 6).every((p) => p === 0) && !(v6.parts[6] === 0 && v6.parts[7]! <= 1)) {
      const embedded = ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString();
      return { range: 'ipv4Compatible', normalized: v6.toString(), embedded };
    }
  }
  return { range: parsed.range(), normalized: parsed.toString() };
}

/**
 * ipaddr.js reads a dotted tail such as `::127.0.0.1` as IPv4-mapped (`::ffff:127.0.0.1`); the
 * WHATWG URL parser writes every IPv6 spelling in its one canonical hex form first.
 */
function canonicalIPv6(address: string): string {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

/** Null when the address may be contacted, otherwise why not. */
export function refusalForAddress(address: string, policy: AddressPolicy): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return `${address} is not an IP address`;
  const { range, normalized, embedded } = rangeOf(bare);
  if (range === 'unicast') return null;
  if (range === 'loopback' && policy.allowLoopback) return null;
  if (embedded) return `${normalized} is an IPv4-compatible IPv6 address (it embeds ${embedded}), which webhooks may not be sent to`;
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
