// Source CIDRs: parsing refuses what would silently mean something else, and matching (Node's BlockList)
// covers IPv4, IPv6 and IPv4-mapped IPv6 sources.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrProblem, parseCidr, sourceAllowList } from '@hybrid-runner/core';

describe('cidrProblem', () => {
  it('accepts canonical IPv4 and IPv6 CIDRs, /0 to the full length', () => {
    for (const cidr of [
      '203.0.113.0/24',
      '10.0.0.0/8',
      '0.0.0.0/0',
      '198.51.100.7/32',
      '2001:db8::/32',
      '::/0',
      '2001:db8::1/128',
      '::ffff:203.0.113.0/120',
    ]) {
      expect(cidrProblem(cidr), cidr).toBeUndefined();
    }
  });

  it('refuses host bits, naming the network that was probably meant', () => {
    expect(cidrProblem('10.0.0.5/8')).toContain('"10.0.0.0/8"');
    expect(cidrProblem('2001:db8::1/32')).toContain('"2001:db8::/32"');
  });

  it('refuses a bare address, suggesting the single-address CIDR', () => {
    expect(cidrProblem('203.0.113.7')).toContain('"203.0.113.7/32"');
    expect(cidrProblem('2001:db8::7')).toContain('"2001:db8::7/128"');
  });

  it('refuses prefixes beyond the family, addresses that are not addresses, and other text', () => {
    expect(cidrProblem('10.0.0.0/33')).toContain('0–32');
    expect(cidrProblem('2001:db8::/129')).toContain('0–128');
    expect(cidrProblem('10.0.0.256/32')).toContain('not an IPv4 or IPv6 address');
    expect(cidrProblem('example.com/24')).toContain('not an IPv4 or IPv6 address');
    expect(cidrProblem('')).toContain('must be an IPv4 or IPv6 CIDR');
    expect(cidrProblem('10.0.0.0 /8')).toContain('must be an IPv4 or IPv6 CIDR');
  });

  it('parseCidr throws with the same fix', () => {
    expect(() => parseCidr('10.0.0.5/8')).toThrow(/Source CIDR "10\.0\.0\.5\/8" has host bits set/);
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
  });
});

describe('sourceAllowList', () => {
  it('allows every source, even an unknown one, when empty', () => {
    const list = sourceAllowList([]);
    expect(list.size).toBe(0);
    expect(list.allows('198.51.100.1')).toBe(true);
    expect(list.allows(undefined)).toBe(true);
  });

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 sources against their ranges', () => {
    const list = sourceAllowList(['203.0.113.0/24', '2001:db8:1234::/48']);
    expect(list.allows('203.0.113.77')).toBe(true);
    expect(list.allows('203.0.114.1')).toBe(false);
    expect(list.allows('::ffff:203.0.113.77')).toBe(true);
    expect(list.allows('::ffff:cb00:714d')).toBe(true); // the same address in hex
    expect(list.allows('::ffff:203.0.114.1')).toBe(false);
    expect(list.allows('2001:db8:1234:5::9')).toBe(true);
    expect(list.allows('2001:db8:1235::9')).toBe(false);
  });

  it('refuses a missing or unreadable source when there are ranges', () => {
    const list = sourceAllowList(['0.0.0.0/0']);
    expect(list.allows(undefined)).toBe(false);
    expect(list.allows('')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
    expect(list.allows('10.1.2.3, 203.0.113.7')).toBe(false);
  });

  it('an IPv4 address lies in a /p range exactly when its first p bits are the network', () => {
    const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(
      fc.property(octets, octets, fc.integer({ min: 0, max: 32 }), (network, address, prefix) => {
        const toInt = (parts: number[]) => parts.reduce((bits, octet) => bits * 256 + octet, 0);
        const mask = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
        const networkInt = Number(BigInt(toInt(network)) & BigInt(mask));
        const networkText = [24, 16, 8, 0].map((shift) => (networkInt >>> shift) & 255).join('.');
        const inside = (BigInt(toInt(address)) & BigInt(mask)) === BigInt(networkInt);
        const list = sourceAllowList([`${networkText}/${prefix}`]);
        expect(list.allows(address.join('.'))).toBe(inside);
        expect(list.allows(`::ffff:${address.join('.')}`)).toBe(inside);
      }),
      { numRuns: 300 },
    );
  });
});
