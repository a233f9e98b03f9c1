import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresUrl } from '../../../test/helpers/services.js';
import { appliedMigrations } from '../kysely-store.js';
import { migrationProvider } from '../migrations/index.js';
import { describeStoreContract, usage } from '../store-contract.js';
import { openPostgresKysely, openPostgresStore } from './postgres-store.js';

// One database for this file; each test gets its own schema in it, so every store starts empty.
let url = '';
let schemas = 0;
const admin = () => new pg.Client({ connectionString: url });

async function freshSchema(): Promise<string> {
  const schema = `s${++schemas}`;
  const client = admin();
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  return schema;
}

describe.skipIf(!postgresUrl)('Postgres store', () => {
  beforeAll(async () => {
    url = await createTestDatabase();
  });

  describeStoreContract('Postgres', async () => openPostgresStore(url, { schema: await freshSchema() }));

  it('records the migrations it applied', async () => {
    const schema = await freshSchema();
    const store = await openPostgresStore(url, { schema });
    await store.close();
    const db = openPostgresKysely(url, { schema });
    const known = Object.keys(await migrationProvider.getMigrations()).sort();
    expect(await appliedMigrations(db, schema)).toEqual(known);
    expect(known).toContain('0001-initial');
    await db.destroy();
  });

  it('refuses a database migrated by a newer keywarden, naming the migration', async () => {
    const schema = await freshSchema();
    await (await openPostgresStore(url, { schema })).close();
    const client = admin();
    await client.connect();
    await client.query(
      `insert into ${schema}.kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01')`,
    );
    await client.end();
    await expect(openPostgresStore(url, { schema })).rejects.toThrow(
      /schema is newer than this keywarden.*9999-from-the-future/,
    );
  });

  it('writes concurrent batches of several instances over the same rollup rows without deadlocking', async () => {
    const schema = await freshSchema();
    const instances = await Promise.all([1, 2, 3].map(() => openPostgresStore(url, { schema })));
    const models = Array.from({ length: 12 }, (_, i) => `model-${String(i).padStart(2, '0')}`);
    let n = 0;
    const batch = (order: readonly string[]) =>
      order.map((model) => {
        n++;
        return usage({ model });
      });
    try {
      // Each instance meets the rows in a different order; unsorted, these lock each other in a cycle.
      const orders = [models, [...models].reverse(), [...models.slice(6), ...models.slice(0, 6)]];
      for (let round = 0; round < 15; round++) {
        await Promise.all(instances.map((store, i) => store.insertUsage(batch(orders[i] ?? models))));
      }
      const [total] = (await instances[0]?.queryUsage({}, null)) ?? [];
      expect(total?.requests).toBe(n);
      expect(total?.costNanoUsd).toBe(n * 1_000);
    } finally {
      await Promise.all(instances.map((store) => store.close()));
    }
  });

  it('answers store_unavailable when the database cannot be reached', async () => {
    await expect(openPostgresStore('postgres://postgres@127.0.0.1:1/none')).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });
});
