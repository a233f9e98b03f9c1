import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Finds PostgreSQL and Redis for the integration suites; says which suites it skips without them.
    globalSetup: ['test/helpers/services-setup.ts'],
  },
});
