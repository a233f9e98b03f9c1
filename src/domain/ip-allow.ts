import { BlockList, isIP } from 'node:net';

/** Compiled `ip_allow` list; an absent list allows every address. */
export type IpMatcher = (ip: string) => boolean;

/** Returns the offending entry when `cidrs` holds something that is not an IP or CIDR. */
export function invalidCidr(cidrs: readonly string[]): string | undefined {
  return cidrs.find((entry) => parseCidr(entry) === undefined);
}

export function compileIpAllow(cidrs: readonly string[] | null | undefined): IpMatcher {
  if (!cidrs) return () => true;
  const list = new BlockList();
  for (const entry of cidrs) {
    const parsed = parseCidr(entry);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return (ip) => {
    const normalized = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    const family = isIP(normalized);
    if (family === 0) return false;
    return list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
  };
}

function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!/^\d+$/.test(bits ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
