import type { Clock } from '../lib/clock.js';

export interface AuthThrottleSettings {
  /** Failed attempts an address may make at once before it is slowed down. */
  burst: number;
  /** Failed attempts an address earns back per minute. */
  perMinute: number;
}

export interface AuthThrottle {
  /**
   * Seconds to wait when `ip` has used up its failed attempts and the credential (by its hash) has
   * not worked from that address before; 0 to go ahead. A credential that already worked from the
   * address always goes ahead, so a brute force from the same address as the real client does not
   * lock it out. The throttle only ever sees hashes, never a secret.
   */
  retryAfter(ip: string, credentialHash: string | undefined): number;
  failed(ip: string): void;
  succeeded(ip: string, credentialHash: string): void;
}

const MAX_TRACKED = 100_000;
const MAX_TRUSTED_PER_IP = 32;

/** Failed-authentication budgets per client address: a token bucket that refills over time. */
export function createAuthThrottle(clock: Clock, settings: AuthThrottleSettings): AuthThrottle {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const trusted = new Map<string, Set<string>>();
  const perMs = settings.perMinute / 60_000;

  const bucket = (ip: string) => {
    const now = clock.now();
    const current = buckets.get(ip) ?? { tokens: settings.burst, at: now };
    current.tokens = Math.min(settings.burst, current.tokens + (now - current.at) * perMs);
    current.at = now;
    return current;
  };

  return {
    retryAfter(ip, credentialHash) {
      if (!buckets.has(ip)) return 0;
      const b = bucket(ip);
      if (b.tokens >= 1) return 0;
      if (credentialHash && trusted.get(ip)?.has(credentialHash)) return 0;
      return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    },
    failed(ip) {
      if (buckets.size >= MAX_TRACKED && !buckets.has(ip)) buckets.clear();
      const b = bucket(ip);
      b.tokens = Math.max(0, b.tokens - 1);
      buckets.set(ip, b);
    },
    succeeded(ip, hash) {
      if (trusted.size >= MAX_TRACKED && !trusted.has(ip)) trusted.clear();
      const set = trusted.get(ip) ?? new Set<string>();
      if (set.has(hash)) return;
      if (set.size >= MAX_TRUSTED_PER_IP) set.clear();
      set.add(hash);
      trusted.set(ip, set);
    },
  };
}
