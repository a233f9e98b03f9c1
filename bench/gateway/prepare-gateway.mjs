// Prepares a keywarden data dir for the benchmark and prints the virtual key to use: one OpenAI
// provider pointing at the fake upstream, and a key with scopes, RPM and TPM limits and a hard budget
// large enough never to trip, so that every governance step runs on every request.
// Usage: node prepare-gateway.mjs DATA_DIR UPSTREAM_URL UPSTREAM_KEY   (needs `npm run build` first)
// Scale-out: DATABASE_URL, REDIS_URL and KEYWARDEN_REDIS_PREFIX in the environment are used as `serve`
// would use them (store in that Postgres database, counters under that prefix); nothing else is read
// from the environment. The data dir still holds the master key, so `serve` must get the same dir.
import { loadConfig } from '../../dist/config/load-config.js';
import { createKeywarden } from '../../dist/keywarden.js';
import { createLogger } from '../../dist/lib/logger.js';

const [dataDir, upstreamUrl, upstreamKey] = process.argv.slice(2);
if (!dataDir || !upstreamUrl || !upstreamKey) {
  console.error('usage: node prepare-gateway.mjs DATA_DIR UPSTREAM_URL UPSTREAM_KEY');
  process.exit(2);
}
const { DATABASE_URL, REDIS_URL, KEYWARDEN_REDIS_PREFIX } = process.env;
const env = { DATABASE_URL, REDIS_URL, KEYWARDEN_REDIS_PREFIX };
const keywarden = await createKeywarden(loadConfig({ dataDir }, env), { logger: createLogger('silent') });
const owner = { tokenId: 'bench', role: 'owner', projectIds: [] };
try {
  await keywarden.admin.providers.create(owner, {
    name: 'openai',
    type: 'openai',
    base_url: upstreamUrl,
    api_key: upstreamKey,
  });
  await keywarden.admin.projects.create(owner, { name: 'bench' });
  const key = await keywarden.admin.keys.create(owner, {
    name: 'bench',
    project: 'bench',
    default_provider: 'openai',
    scopes: { providers: ['openai'], models: ['gpt-4o*'], endpoints: ['chat/completions', 'embeddings'] },
    limits: { rpm: 100_000_000, tpm: 1_000_000_000_000, budgets: [{ usd: 1_000_000_000, period: 'day' }] },
  });
  console.log(key.key);
} finally {
  await keywarden.close();
}
