import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { UpstreamPolicy } from '../../domain/upstream-policy.js';

/** The error code a refused upstream address fails the connection with. */
export const UPSTREAM_REFUSED = 'EKW_UPSTREAM_REFUSED';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for undici's connector: resolves the upstream host and refuses the connection when any
 * address it resolves to is outside the upstream policy. Checking at connect time, on the very
 * addresses used, closes the gap a DNS name pointing at 169.254.169.254 would otherwise open.
 */
export function guardedLookup(policy: UpstreamPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      for (const { address } of addresses) {
        const reason = policy.refuseAddress(address, hostname);
        if (reason) {
          const refused: NodeJS.ErrnoException = new Error(`upstream address refused: ${reason}`);
          refused.code = UPSTREAM_REFUSED;
          return callback(refused, '');
        }
      }
      const first = addresses[0];
      if (options.all) return callback(null, addresses);
      return callback(null, first?.address ?? '', first?.family);
    });
  };
}
