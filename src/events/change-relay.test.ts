import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresUrl, redisUrl, testRedisPrefix } from '../../test/helpers/services.js';
import { createLogger } from '../lib/logger.js';
import { type Change, createLocalChangeBus } from './change-bus.js';
import { type ChangeTransport, type RelayedChangeBus, relayChanges } from './change-relay.js';
import { postgresChangeTransport } from './postgres-change-transport.js';
import { redisChangeTransport } from './redis-change-transport.js';

const logger = createLogger('silent');
const revoked: Change = { kind: 'key', keyId: 'key_1', secretHash: 'hash_1' };

function describeRelay(name: string, available: boolean, transport: () => Promise<() => ChangeTransport>) {
  describe.skipIf(!available)(`${name} change relay`, () => {
    const open: RelayedChangeBus[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
    });

    it('applies a change published on one instance to the others, and once to its own', async () => {
      const make = await transport();
      const heard: Record<string, Change[]> = { a: [], b: [], c: [] };
      for (const name of ['a', 'b', 'c'] as const) {
        const bus = await relayChanges(createLocalChangeBus(), make(), logger);
        bus.subscribe((change) => {
          heard[name]?.push(change);
        });
        open.push(bus);
      }
      await open[0]?.publish(revoked);
      await expect
        .poll(() => [heard.b, heard.c], { timeout: 1_000, interval: 10 })
        .toEqual([[revoked], [revoked]]);
      expect(heard.a).toEqual([revoked]);
    });
  });
}

describeRelay('Redis', redisUrl !== null, async () => {
  const channel = `${testRedisPrefix()}changes`;
  return () => redisChangeTransport(redisUrl ?? '', channel);
});

describeRelay('Postgres', postgresUrl !== null, async () => {
  const url = await createTestDatabase();
  return () => postgresChangeTransport(url, 'keywarden_changes');
});
