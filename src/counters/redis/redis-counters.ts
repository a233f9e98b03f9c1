import { createHash, randomUUID } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import { GatewayError } from '../../domain/errors.js';
import { stateOf } from '../counter-state.js';
import type { Counters, LimitClaim, Reservation } from '../counters.js';
import { GIVE_BACK, READ, RESERVE, SEED } from './redis-scripts.js';

export interface RedisCountersOptions {
  url: string;
  /** Prepended to every key, e.g. to share one Redis between deployments (no `{` in it). */
  prefix?: string;
  /**
   * How long a reservation may stay open. Past it, the reservation is taken to belong to an instance
   * that died: its budget hold is settled at the reserved amount and its concurrency slot freed.
   * Must outlast the longest request (upstream timeouts included).
   */
  leaseMs?: number;
  /** Called when Redis cannot be reached; the operation then fails with `counters_unavailable`. */
  onUnavailable?: (error: unknown) => void;
}

export const DEFAULT_LEASE_MS = 15 * 60_000;

/**
 * Counters shared by every instance through Redis. Each operation is one Lua script (see
 * redis-scripts.ts), so limits hold exactly across instances. The connection reconnects by itself;
 * while it is down, operations fail at once (no queueing) with `counters_unavailable`.
 */
export async function openRedisCounters(options: RedisCountersOptions): Promise<Counters> {
  const prefix = options.prefix ?? 'kw:';
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const slotTtl = Math.ceil(2 * leaseMs);
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  // Errors also reach the callers of the failing operations; this only keeps them from crashing the process.
  redis.on('error', () => undefined);
  await redis.connect();

  // The scripts of every request handled in one turn of the event loop leave in one write: a socket
  // write each cost the gateway more than building the command did, and Redis a read each.
  // (ioredis' auto-pipelining does this through Pipeline objects: slower here, and +45 MB RSS.)
  let corked = false;
  const cork = () => {
    if (corked) return;
    const stream = redis.stream;
    stream.cork();
    corked = true;
    setImmediate(() => {
      corked = false;
      stream.uncork();
    });
  };
  const run = async (script: Script, keys: string[], args: (string | number)[]): Promise<unknown> => {
    cork();
    try {
      try {
        return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
        return await redis.eval(script.lua, keys.length, ...keys, ...args);
      }
    } catch (error) {
      // A reply error is Redis answering (a bug in a script or a key of the wrong type), not Redis missing.
      if (error instanceof ReplyError) throw error;
      options.onUnavailable?.(error);
      throw new GatewayError(
        'counters_unavailable',
        'the limits store (Redis) is unreachable; try again shortly',
      );
    }
  };

  // Built with plain loops: these run twice per request in scale-out mode.
  const keysOf = (claims: readonly LimitClaim[]) => {
    const keys: string[] = [];
    for (const c of claims) {
      keys.push(prefix + c.counter);
      if (c.kind === 'budget') keys.push(`${prefix}${c.counter}:leases`);
    }
    return keys;
  };
  // One string, not an argument per value: ioredis' cost per command grows with its arguments.
  const argsOf = (
    now: number,
    id: string,
    claims: readonly LimitClaim[],
    mode: 'reserve' | 'settle' | 'release' | 'read',
    actual = { costNano: 0, tokens: 0 },
  ): string => {
    let args = `${exact(now)} ${id} ${mode} ${exact(actual.costNano)} ${exact(actual.tokens)} ${exact(now + leaseMs)} ${slotTtl}`;
    for (const c of claims) {
      if (c.kind === 'rate')
        args += ` r ${c.limit} ${c.windowMs} ${exact(c.amount)} ${c.unit === 'tokens' ? 't' : 'r'} 0`;
      else if (c.kind === 'concurrency') args += ` c ${c.limit} 0 0 0 0`;
      else {
        const ttl = Math.ceil(Math.max(c.resetAt - now, 0) + 2 * leaseMs);
        args += ` b ${exact(c.limitNano)} ${c.hard ? 1 : 0} ${exact(c.amountNano)} ${exact(c.resetAt)} ${ttl}`;
      }
    }
    return args;
  };
  const statesOf = (claims: readonly LimitClaim[], raw: unknown[], now: number) =>
    claims.map((claim, i) => stateOf(claim, usedOf(raw[i]), now));

  return {
    async reserve(claims, now) {
      const id = randomUUID();
      const reply = (await run(scripts.reserve, keysOf(claims), [
        argsOf(now, id, claims, 'reserve'),
      ])) as unknown[];
      const [status, ...rest] = reply;
      if (status === 'unseeded') {
        return { ok: false, unseeded: rest.map((i) => (claims[Number(i) - 1] as LimitClaim).counter) };
      }
      if (status === 'refused') {
        const [index, wait, ...raw] = rest;
        return {
          ok: false,
          refused: claims[Number(index) - 1] as LimitClaim,
          retryAfterMs: Number(wait),
          states: statesOf(claims, raw, now),
        };
      }
      return { ok: true, reservation: { id, claims }, states: statesOf(claims, rest, now) };
    },

    async settle(reservation, actual, now) {
      const raw = await giveBack(reservation, now, 'settle', actual);
      return statesOf(reservation.claims, raw, now).filter((s) => s.kind === 'budget');
    },

    async release(reservation, now) {
      await giveBack(reservation, now, 'release');
    },

    async seedBudget(counter, spentNano, resetAt) {
      await run(
        scripts.seed,
        [prefix + counter],
        [exact(spentNano), exact(resetAt), exact(Date.now()), leaseMs],
      );
    },

    async read(claims, now) {
      if (claims.length === 0) return [];
      return statesOf(
        claims,
        (await run(scripts.read, keysOf(claims), [argsOf(now, '-', claims, 'read')])) as unknown[],
        now,
      );
    },

    async close() {
      redis.disconnect();
    },
  };

  async function giveBack(
    reservation: Reservation,
    now: number,
    mode: 'settle' | 'release',
    actual?: { costNano: number; tokens: number },
  ): Promise<unknown[]> {
    const { id, claims } = reservation;
    if (claims.length === 0) return [];
    return (await run(scripts.giveBack, keysOf(claims), [
      argsOf(now, id, claims, mode, actual),
    ])) as unknown[];
  }
}

interface Script {
  lua: string;
  sha: string;
}

const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const scripts = {
  reserve: script(RESERVE),
  giveBack: script(GIVE_BACK),
  read: script(READ),
  seed: script(SEED),
};

/** A counter as the scripts report it: one number, or a budget's spent and reserved, added here. */
const usedOf = (raw: unknown): number => (Array.isArray(raw) ? Number(raw[0]) + Number(raw[1]) : Number(raw));

/** A double as text that Lua's tonumber reads back bit for bit. */
const exact = (value: number): string => (Number.isInteger(value) ? String(value) : value.toPrecision(17));
