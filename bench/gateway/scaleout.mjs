#!/usr/bin/env node
import { Redis } from 'ioredis';
// Throwaway backing stores for the keywarden-scaleout benchmark target (used by lib.sh): a fresh
// Postgres database on the server DATABASE_URL points at, and a Redis key prefix of its own, so a
// run never touches anyone else's data and leaves nothing behind.
// Uses the `pg` and `ioredis` packages keywarden itself depends on (this repository's node_modules).
//
// Usage:
//   node scaleout.mjs create-db SERVER_URL NAME   creates database NAME, prints its URL (SERVER_URL with
//                                                 the database swapped); fails if NAME already exists
//   node scaleout.mjs drop-db SERVER_URL NAME     drops it (its open connections are terminated first)
//   node scaleout.mjs redis-check REDIS_URL PREFIX   fails unless Redis answers and PREFIX* holds no keys
//   node scaleout.mjs redis-clear REDIS_URL PREFIX   deletes every key PREFIX*, prints how many
//   node scaleout.mjs info SERVER_URL REDIS_URL   prints "pg_version pg_host pg_port redis_version redis_host redis_port"
import pg from 'pg';

const [cmd, url, arg] = process.argv.slice(2);
// Only names we generate: no quoting games in CREATE/DROP DATABASE (identifiers cannot be bound).
const checkName = (name) => {
  if (!/^[a-z0-9_]{1,63}$/.test(name ?? '')) throw new Error(`bad database name ${JSON.stringify(name)}`);
  return name;
};
// The prefix is matched with SCAN MATCH: keep glob characters out of it.
const checkPrefix = (prefix) => {
  if (!/^[A-Za-z0-9_:.-]{4,}$/.test(prefix ?? ''))
    throw new Error(`bad redis prefix ${JSON.stringify(prefix)}`);
  return prefix;
};

async function withPg(serverUrl, fn) {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function withRedis(redisUrl, fn) {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: () => null,
  });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

async function* keysUnder(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) yield keys;
  } while (cursor !== '0');
}

switch (cmd) {
  case 'create-db': {
    const name = checkName(arg);
    await withPg(url, async (c) => {
      // Earlier runs that were killed (SIGKILL, power loss) could not drop theirs: say so, but leave
      // them alone - a concurrent run may own one.
      const stale = await c.query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'keywarden\\_bench\\_%' ORDER BY 1",
      );
      if (stale.rows.length)
        console.error(
          `note: other benchmark databases exist on this server: ${stale.rows.map((r) => r.datname).join(', ')}`,
        );
      await c.query(`CREATE DATABASE "${name}"`);
    });
    const u = new URL(url);
    u.pathname = `/${name}`;
    console.log(u.toString());
    break;
  }
  case 'drop-db': {
    const name = checkName(arg);
    await withPg(url, async (c) => {
      // keywarden has been stopped by now, but a killed process can leave its backends for a while.
      await c.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await c.query(`DROP DATABASE IF EXISTS "${name}"`);
    });
    break;
  }
  case 'redis-check': {
    const prefix = checkPrefix(arg);
    await withRedis(url, async (r) => {
      await r.ping();
      for await (const keys of keysUnder(r, prefix))
        throw new Error(`Redis already holds keys under ${prefix} (e.g. ${keys[0]})`);
    });
    break;
  }
  case 'redis-clear': {
    const prefix = checkPrefix(arg);
    let n = 0;
    await withRedis(url, async (r) => {
      for await (const keys of keysUnder(r, prefix)) n += await r.del(...keys);
    });
    console.log(n);
    break;
  }
  case 'info': {
    const pgUrl = new URL(url);
    const redisUrl = new URL(arg);
    const pgVersion = await withPg(
      url,
      async (c) => (await c.query('SHOW server_version')).rows[0].server_version.split(' ')[0],
    );
    const redisVersion = await withRedis(
      arg,
      async (r) => /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? 'unknown',
    );
    const host = (u) => u.hostname.replace(/^\[|\]$/g, '') || 'localhost';
    console.log(
      [pgVersion, host(pgUrl), pgUrl.port || 5432, redisVersion, host(redisUrl), redisUrl.port || 6379].join(
        ' ',
      ),
    );
    break;
  }
  default:
    console.error(
      'usage: node scaleout.mjs create-db|drop-db SERVER_URL NAME | redis-check|redis-clear REDIS_URL PREFIX | info SERVER_URL REDIS_URL',
    );
    process.exit(2);
}
