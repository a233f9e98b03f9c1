import { createHash, randomBytes } from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import { GatewayError } from '../../domain/errors.js';
import { stateOf } from '../counter-state.js';
import type { Counters, LimitClaim, Reservation } from '../counters.js';
import { BATCH, SEED } from './redis-scripts.js';
import { batchPerTurn } from './turn-batches.js';

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
 * Counters shared by every instance through Redis. Each operation runs whole inside one Lua script
 * (see redis-scripts.ts), so limits hold exactly across instances. The connection reconnects by itself;
 * while it is down, operations fail at once (no queueing) with `counters_unavailable`.
 */
export async function openRedisCounters(options: RedisCountersOptions): Promise<Counters> {
  const prefix = options.prefix ?? 'kw:';
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const slotTtl = Math.ceil(2 * leaseMs);
  // Reservation ids: random per instance (72 bits), then a sequence. Short ids are cheaper for Redis
  // to keep and compare in the budget's hash and leases than UUIDs, and as unique across instances.
  const instance = randomBytes(9).toString('base64url');
  let reservations = 0;
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

  const evalScript = async (script: Script, keys: string[], args: string[]): Promise<unknown> => {
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

  // The operations of every request handled in one turn of the event loop go to Redis as one call of
  // the batch script per hash tag: each call costs ioredis and Redis a fixed amount on top of its
  // operations' own work. The calls of one turn leave in one socket write.
  // (ioredis' auto-pipelining batches writes through Pipeline objects: slower here, and +45 MB RSS.)
  const run = batchPerTurn<Operation, string[]>({
    groupOf: (op) => hashTagOf(op.keys[0] ?? ''),
    async send(ops) {
      const stream = redis.stream;
      if (stream.writableCorked === 0) {
        stream.cork();
        process.nextTick(() => stream.uncork());
      }
      const keys: string[] = [];
      const args: string[] = [];
      for (const op of ops) {
        for (const key of op.keys) keys.push(key);
        args.push(op.args);
      }
      const replies = (await evalScript(scripts.batch, keys, args)) as string[];
      return replies.map((reply) =>
        reply[0] === '+'
          ? { ok: true, value: reply.length > 1 ? reply.slice(1).split(' ') : [] }
          : { ok: false, error: new ReplyError(reply.slice(1)) },
      );
    },
  });

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
  // The lease deadline is a whole ms (rounded up): Redis keeps a small sorted set's scores as text
  // and parses each one it passes when inserting, except whole numbers, which it keeps as integers.
  const argsOf = (
    now: number,
    id: string,
    claims: readonly LimitClaim[],
    mode: 'reserve' | 'settle' | 'release' | 'read',
    actual = { costNano: 0, tokens: 0 },
  ): string => {
    let args = `${exact(now)} ${id} ${mode} ${exact(actual.costNano)} ${exact(actual.tokens)} ${Math.ceil(now + leaseMs)}`;
    for (const c of claims) {
      if (c.kind === 'rate')
        args += ` r:${c.limit}:${c.windowMs}:${c.unit === 'tokens' ? 't' : 'r'} ${exact(c.amount)}`;
      else if (c.kind === 'concurrency') args += ` c:${c.limit}:${slotTtl} 0`;
      else
        args += ` b:${exact(c.limitNano)}:${c.hard ? 1 : 0}:${exact(c.resetAt)}:${slotTtl} ${exact(c.amountNano)}`;
    }
    return args;
  };
  const statesOf = (claims: readonly LimitClaim[], raw: string[], now: number) =>
    claims.map((claim, i) => stateOf(claim, usedOf(raw[i] as string), now));

  return {
    async reserve(claims, now) {
      const id = `${instance}${(++reservations).toString(36)}`;
      const reply = await run({ keys: keysOf(claims), args: argsOf(now, id, claims, 'reserve') });
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
      await evalScript(
        scripts.seed,
        [prefix + counter],
        [exact(spentNano), exact(resetAt), exact(Date.now()), String(leaseMs)],
      );
    },

    async read(claims, now) {
      if (claims.length === 0) return [];
      return statesOf(
        claims,
        await run({ keys: keysOf(claims), args: argsOf(now, '-', claims, 'read') }),
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
  ): Promise<string[]> {
    const { id, claims } = reservation;
    if (claims.length === 0) return [];
    return run({ keys: keysOf(claims), args: argsOf(now, id, claims, mode, actual) });
  }
}

interface Script {
  lua: string;
  sha: string;
}

const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const scripts = { batch: script(BATCH), seed: script(SEED) };

/** One reserve, settle, release or read: its keys, and its values as the batch script reads them. */
interface Operation {
  keys: string[];
  args: string;
}

/**
 * The part of a key Redis Cluster hashes: what its first `{...}` holds when that is not empty, else
 * the whole key. Operations batch only with others of the same, so one call stays in one slot.
 */
function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** A counter as the scripts report it: one number, or a budget's `spent:reserved`, added here. */
const usedOf = (raw: string): number => {
  const colon = raw.indexOf(':');
  return colon < 0 ? Number(raw) : Number(raw.slice(0, colon)) + Number(raw.slice(colon + 1));
};

/** A double as text that Lua's tonumber reads back bit for bit. */
const exact = (value: number): string => (Number.isInteger(value) ? String(value) : value.toPrecision(17));
