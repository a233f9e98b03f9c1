import { isIPv4, isIPv6 } from 'node:net';
import { rememberRecent } from '../lib/recent-memo.js';

/**
 * The network an address belongs to for "first use from a new network": IPv4 /24, IPv6 /64.
 * Remembered per address, since a client calls from the same few again and again.
 */
export const networkOf = rememberRecent(computeNetwork);

function computeNetwork(ip: string): string {
  const mapped = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(mapped)) {
    const [a, b, c] = mapped.split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  if (isIPv6(mapped)) {
    const [head = '', tail = ''] = mapped.split('::');
    const left = head === '' ? [] : head.split(':');
    const right = tail === '' ? [] : tail.split(':');
    const groups = mapped.includes('::')
      ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
      : left;
    return `${groups
      .slice(0, 4)
      .map((g) => Number.parseInt(g || '0', 16).toString(16))
      .join(':')}::/64`;
  }
  return mapped;
}
