/**
 * Static source addresses: with the construct's `staticSourceIps`, every delivery leaves through
 * one NAT gateway per Availability Zone, each with an Elastic IP the stack allocates, so receivers
 * can allow those addresses only (seed 003: "whitelist the sender's IP addresses if available").
 * The api function is told the addresses (SOURCE_IPS_ENV, derived from the EIP resources) and
 * answers them on GET SOURCE_IPS_PATH; locally they are whatever local mode is told it sends from.
 * Free of Node and AWS APIs: the CDK code and the page import it too.
 */

/** The api function's list of source addresses, comma-separated (unset or empty: none fixed). */
export const SOURCE_IPS_ENV = 'WEBHOOKS_SOURCE_IPS';
/** Where tenants and the portal read them. */
export const SOURCE_IPS_PATH = '/api/v0.1/source-ips';

/**
 * Elastic IP addresses per Region, the default quota ("EC2-VPC Elastic IPs", L-0263D0A3; shared by
 * everything in the account and Region): https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
 */
export const DEFAULT_ELASTIC_IP_QUOTA = 5;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The addresses in SOURCE_IPS_ENV's form; an error names the bad entry. */
export function parseSourceIps(value: string | undefined, name = SOURCE_IPS_ENV): string[] {
  if (value === undefined || value.trim() === '') return [];
  const ips = value.split(',').map((s) => s.trim());
  for (const ip of ips) if (!IPV4.test(ip)) throw new Error(`${name} must be IPv4 addresses separated by commas, got "${ip}"`);
  return [...new Set(ips)];
}

export interface StaticSourceIpsCheck {
  /** How many zones were asked for (a count, or the length of a list of names). */
  zones: number;
  /** Zones the stack can see: 2 for a stack without an account and region (CDK's Fn::GetAZs pair), else the region's. */
  availableZones: number;
  /** The account's Elastic IP quota in the region. */
  elasticIpQuota: number;
  /** Zone names, when given by name (they must be distinct). */
  names?: readonly string[];
}

/** Refuses at synth what a deploy would refuse, or silently shrink, with what to do instead. */
export function checkStaticSourceIps(c: StaticSourceIpsCheck): void {
  if (!Number.isInteger(c.elasticIpQuota) || c.elasticIpQuota < 1)
    throw new Error(`staticSourceIps.elasticIpQuota must be a whole number from 1, got ${c.elasticIpQuota}`);
  if (!Number.isInteger(c.zones) || c.zones < 1)
    throw new Error(`staticSourceIps.availabilityZones must be 1 or more zones (one NAT gateway and Elastic IP each), got ${c.zones}`);
  if (c.names && new Set(c.names).size !== c.names.length)
    throw new Error(`staticSourceIps.availabilityZones names a zone twice: ${c.names.join(', ')}`);
  if (c.zones > c.elasticIpQuota)
    throw new Error(
      `staticSourceIps: ${c.zones} zones need ${c.zones} Elastic IPs, more than the quota of ${c.elasticIpQuota} per Region (` +
        `${DEFAULT_ELASTIC_IP_QUOTA} by default, shared with every other address of the account); ask for an increase of ` +
        '"EC2-VPC Elastic IPs" in Service Quotas and set staticSourceIps.elasticIpQuota to it, or use fewer zones',
    );
  if (!c.names && c.zones > c.availableZones)
    throw new Error(
      `staticSourceIps: ${c.zones} zones asked for, but the stack sees ${c.availableZones}` +
        (c.availableZones === 2
          ? ' (a stack without an account and region gets 2): give the stack an env ({ account, region }) or name the zones'
          : ' in its region'),
    );
}
