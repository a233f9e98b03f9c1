import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './0001-initial.js';
import * as keyLifecycle from './0003-key-lifecycle.js';

/** Migrations ship in the code (not read from disk) so a bundled install always has them. */
export const migrationProvider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { '0001-initial': initial, '0003-key-lifecycle': keyLifecycle };
  },
};
