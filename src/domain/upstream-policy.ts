import { isIP } from 'node:net';
import { compileIpAllow, invalidCidr } from './ip-allow.js';
import { isLinkLocalOrMetadata } from './upstream-address.js';

/**
 * Where provider base URLs may point. Checked when a provider is saved (its host as written) and
 * again at connect time (every address its host resolves to), so a DNS name that later resolves
 * to a metadata address is refused too. Loopback and private ranges stay allowed by default: local
 * model servers (Ollama, vLLM) live there.
 */
export interface UpstreamPolicySettings {
  /** Allow link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10, ...). */
  allowLinkLocal: boolean;
  /** When non-empty, only these hosts (`api.example.com`, `*.example.com`) and CIDRs. */
  allow: readonly string[];
  /** Never these hosts and CIDRs; wins over `allow`. */
  deny: readonly string[];
}

export interface UpstreamPolicy {
  /** Why a host (name or IP literal, as the URL parser gives it) is refused, or undefined. */
  refuseHost(hostname: string): string | undefined;
  /** Why connecting to `address`, resolved from `hostname`, is refused, or undefined. */
  refuseAddress(address: string, hostname: string): string | undefined;
}

const HOST_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** Returns the offending entry of an allow/deny list, if one is neither a CIDR nor a host name. */
export function invalidPolicyEntry(entries: readonly string[]): string | undefined {
  return entries.find((entry) => !HOST_PATTERN.test(entry) && invalidCidr([entry]) !== undefined);
}

export function createUpstreamPolicy(settings: UpstreamPolicySettings): UpstreamPolicy {
  const split = (entries: readonly string[]) => {
    const cidrs = entries.filter((e) => invalidCidr([e]) === undefined);
    const hosts = entries.filter((e) => !cidrs.includes(e)).map((h) => h.toLowerCase());
    const inCidrs = cidrs.length ? compileIpAllow(cidrs) : () => false;
    return {
      hosts,
      hasCidrs: cidrs.length > 0,
      // An address matches in any of its spellings: as written, or the IPv4 inside an IPv6 form.
      address: (a: string) => inCidrs(a) || inCidrs(embeddedIpv4(a) ?? a),
      host: (h: string) => hosts.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) : h === p)),
    };
  };
  const allow = split(settings.allow);
  const deny = split(settings.deny);
  const restricted = settings.allow.length > 0;

  const refuseAddress = (raw: string, hostname: string): string | undefined => {
    const address = bare(raw);
    const host = bare(hostname);
    if (deny.address(address)) return `${address} is on the upstream deny list`;
    const allowed = allow.address(address) || (isIP(host) === 0 && allow.host(host));
    if (!settings.allowLinkLocal && !allowed && isLinkLocalOrMetadata(embeddedIpv4(address) ?? address)) {
      return `${address} is a link-local or cloud-metadata address`;
    }
    if (restricted && !allowed) return `${address} is not on the upstream allow list`;
    return undefined;
  };

  return {
    refuseAddress,
    refuseHost(hostname) {
      const host = bare(hostname);
      if (isIP(host) !== 0) return refuseAddress(host, host);
      if (deny.host(host)) return `${host} is on the upstream deny list`;
      const named = allow.host(host);
      if (!settings.allowLinkLocal && !named && isLinkLocalOrMetadata(host))
        return `${host} is a cloud-metadata host`;
      // A name not on the allow list may still resolve into an allowed CIDR: that is checked at connect.
      if (restricted && !named && !allow.hasCidrs) return `${host} is not on the upstream allow list`;
      return undefined;
    },
  };
}

function bare(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
}

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible or NAT64 IPv6 address. */
export function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = lower.match(/^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (dotted && isIP(dotted) === 4) return dotted;
  const hex = lower.match(/^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (!hex) return undefined;
  const high = Number.parseInt(hex[1] ?? '', 16);
  const low = Number.parseInt(hex[2] ?? '', 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}
