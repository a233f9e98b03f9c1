import { BlockList, isIP } from 'node:net';

/**
 * Provider base URLs may point at loopback and private ranges (local model servers live there),
 * but not at link-local or cloud-metadata addresses, where a misconfigured or malicious provider
 * would make keywarden fetch instance credentials. The WHATWG URL parser has already turned
 * decimal and hex spellings (`http://2852039166/`) into dotted quads before this runs.
 */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6');
// Alibaba Cloud's metadata service is not link-local but serves the same secrets.
LINK_LOCAL.addAddress('100.100.100.200', 'ipv4');

const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'metadata.azure.com',
  'instance-data',
]);

export function isLinkLocalOrMetadata(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (METADATA_HOSTS.has(host)) return true;
  const mapped = host.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  const address = mapped ?? host;
  const family = isIP(address);
  if (family === 0) return isMappedHex(host);
  return LINK_LOCAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `::ffff:a9fe:a9fe` is 169.254.169.254 written as IPv4-mapped hex. */
function isMappedHex(host: string): boolean {
  const match = host.match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (!match) return false;
  const high = Number.parseInt(match[1] ?? '', 16);
  return high >> 8 === 169 && (high & 0xff) === 254;
}
