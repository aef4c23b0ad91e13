// Which source addresses may open a bridge connection (stage `bridge.allowedSourceCidrs`). API Gateway
// WebSocket APIs take neither a resource policy nor WAF, so $connect is where this is decided. Matching is
// Node's own net.BlockList, which also matches IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) against IPv4
// ranges; this module only parses and checks the ranges so a typo is refused at deploy time.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  /** The network address as written (already canonical: no host bits set). */
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Why a CIDR is refused, worded as a fix; undefined when it is a valid, canonical CIDR. */
export function cidrProblem(text: string): string | undefined {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!match) {
    const single = isIPv4(text) ? '/32' : isIPv6(text) ? '/128' : undefined;
    return single
      ? `is a single address: write it as a CIDR, "${text}${single}"`
      : 'must be an IPv4 or IPv6 CIDR such as "203.0.113.0/24" or "2001:db8::/32"';
  }
  const [, address = '', prefixText = ''] = match;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return `"${address}" is not an IPv4 or IPv6 address`;
  const prefix = Number(prefixText);
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefix > bits)
    return `the prefix length must be 0–${bits} for an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} CIDR`;
  const network = networkOf(addressBits(address, family), prefix, bits);
  if (network !== addressBits(address, family)) {
    return `has host bits set: the network of /${prefix} is "${formatBits(network, family)}/${prefix}"; write that (or a longer prefix) so the range is what you meant`;
  }
  return undefined;
}

/** Parses a CIDR, throwing with cidrProblem's fix when it is not valid and canonical. */
export function parseCidr(text: string): Cidr {
  const problem = cidrProblem(text);
  if (problem) throw new Error(`Source CIDR "${text}" ${problem}.`);
  const [address = '', prefix = ''] = text.split('/');
  return { address, prefix: Number(prefix), family: isIPv4(address) ? 'ipv4' : 'ipv6' };
}

export interface SourceAllowList {
  /** True when no range is configured (no restriction) or the address lies in one of them. */
  allows(sourceIp: string | undefined): boolean;
  /** Number of configured ranges (0: every source is allowed). */
  readonly size: number;
}

/**
 * The allow list of the given CIDRs. Empty means no restriction (the default: Collate SaaS connects from
 * addresses the customer may not know). A missing or unreadable source address is refused when there are
 * ranges, since it cannot be shown to lie in one.
 */
export function sourceAllowList(cidrs: readonly string[]): SourceAllowList {
  const ranges = cidrs.map(parseCidr);
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family);
  return {
    size: ranges.length,
    allows(sourceIp) {
      if (ranges.length === 0) return true;
      if (!sourceIp) return false;
      const family = isIPv4(sourceIp) ? 'ipv4' : isIPv6(sourceIp) ? 'ipv6' : undefined;
      return family !== undefined && list.check(sourceIp, family);
    },
  };
}

function addressBits(address: string, family: 'ipv4' | 'ipv6'): bigint {
  if (family === 'ipv4') return ipv4Bits(address);
  // Expand "::" and an embedded IPv4 tail into eight 16-bit groups.
  let text = address;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4Tail) {
    const v4 = ipv4Bits(v4Tail);
    text = `${text.slice(0, -v4Tail.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...(tail !== undefined ? Array(missing).fill('0') : []), ...tailGroups];
  return groups.reduce((bits, group) => (bits << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function ipv4Bits(address: string): bigint {
  return address.split('.').reduce((bits, octet) => (bits << 8n) | BigInt(Number(octet)), 0n);
}

function networkOf(bits: bigint, prefix: number, width: number): bigint {
  const hostBits = BigInt(width - prefix);
  return (bits >> hostBits) << hostBits;
}

function formatBits(bits: bigint, family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') {
    return [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, index) =>
    ((bits >> BigInt((7 - index) * 16)) & 0xffffn).toString(16),
  );
  // Shorten the longest run of zero groups to "::" (RFC 5952).
  let best = { start: -1, length: 0 };
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === '0') length += 1;
    if (length > best.length && length > 1) best = { start, length };
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}
