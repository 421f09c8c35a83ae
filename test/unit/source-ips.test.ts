import { describe, expect, it } from 'vitest';
import { createApi } from '../../functions/app/api.js';
import { checkStaticSourceIps, DEFAULT_ELASTIC_IP_QUOTA, parseSourceIps, SOURCE_IPS_PATH } from '../../functions/domain/source-ips.js';

describe('parseSourceIps (WEBHOOKS_SOURCE_IPS)', () => {
  it('reads a comma-separated list of IPv4 addresses, unset or empty as none, repeats once', () => {
    expect(parseSourceIps(undefined)).toEqual([]);
    expect(parseSourceIps('  ')).toEqual([]);
    expect(parseSourceIps('203.0.113.10, 198.51.100.7,203.0.113.10')).toEqual(['203.0.113.10', '198.51.100.7']);
  });

  it('refuses anything else, naming the entry', () => {
    expect(() => parseSourceIps('203.0.113.10,256.1.1.1')).toThrow(
      /WEBHOOKS_SOURCE_IPS must be IPv4 addresses separated by commas, got "256.1.1.1"/,
    );
    expect(() => parseSourceIps('2001:db8::1')).toThrow(/got "2001:db8::1"/);
    expect(() => parseSourceIps('203.0.113.10,', 'sourceIps')).toThrow(/sourceIps must be .* got ""/);
  });
});

describe('checkStaticSourceIps', () => {
  const ok = { zones: 2, availableZones: 3, elasticIpQuota: DEFAULT_ELASTIC_IP_QUOTA };
  it('takes 1 zone up to the quota and the zones the stack sees', () => {
    expect(() => checkStaticSourceIps({ ...ok, zones: 1 })).not.toThrow();
    expect(() => checkStaticSourceIps({ ...ok, zones: 3 })).not.toThrow();
    expect(() => checkStaticSourceIps({ ...ok, zones: 5, availableZones: 6 })).not.toThrow();
  });
  it('refuses 0, fractions, more than the quota, more than the region has, a bad quota', () => {
    expect(() => checkStaticSourceIps({ ...ok, zones: 0 })).toThrow(/1 or more zones/);
    expect(() => checkStaticSourceIps({ ...ok, zones: 1.5 })).toThrow(/1 or more zones/);
    expect(() => checkStaticSourceIps({ ...ok, zones: 6, availableZones: 6 })).toThrow(/more than the quota of 5/);
    expect(() => checkStaticSourceIps({ ...ok, zones: 4 })).toThrow(/the stack sees 3 in its region/);
    expect(() => checkStaticSourceIps({ ...ok, elasticIpQuota: 0 })).toThrow(/elasticIpQuota must be a whole number from 1/);
  });
});

describe(`GET ${SOURCE_IPS_PATH}`, () => {
  const call = (sourceIps?: readonly string[]) =>
    createApi({ ...(sourceIps ? { sourceIps } : {}) } as Parameters<typeof createApi>[0])({
      httpMethod: 'GET',
      path: SOURCE_IPS_PATH,
      resource: '/{proxy+}',
      headers: {},
      requestContext: { authorizer: { tenantId: 't_1' } },
    } as unknown as Parameters<ReturnType<typeof createApi>>[0]);

  it('answers the configured addresses, or an empty list', async () => {
    const fixed = await call(['203.0.113.10', '198.51.100.7']);
    expect(fixed.statusCode).toBe(200);
    expect(JSON.parse(fixed.body)).toEqual({ source_ips: ['203.0.113.10', '198.51.100.7'] });
    const none = await call();
    expect(JSON.parse(none.body)).toEqual({ source_ips: [] });
  });
});
