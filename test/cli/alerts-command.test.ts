import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import { assertBuilt, cleanEnv, runKeywarden } from './spawn-cli.js';

let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  assertBuilt();
  gateway = await startGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

const kw = (args: string[]) =>
  runKeywarden([...args, '--url', gateway.url], {
    env: cleanEnv({ KEYWARDEN_ADMIN_TOKEN: gateway.adminToken }),
  });

describe('keywarden alerts', () => {
  it('lists open alerts as a table and as JSON, and acknowledges one', async () => {
    expect((await kw(['alerts', 'list'])).stdout.trim()).toBe('no alerts');
    const alert = await gateway.keywarden.watch.alerts.raise({
      type: 'auth_failure_spike',
      message: '25 refused requests in a minute with keys starting kw_AbCdEf',
    });
    const table = await kw(['alerts', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('auth_failure_spike');
    expect(table.stdout).toContain(alert?.id);

    const acked = await kw(['alerts', 'ack', String(alert?.id)]);
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toContain('acknowledged');
    expect((await kw(['alerts', 'list'])).stdout.trim()).toBe('no alerts');
    const all = JSON.parse((await kw(['alerts', 'list', '--status', 'all', '--json'])).stdout);
    expect(all.data.map((a: { status: string }) => a.status)).toEqual(['acknowledged']);
  });

  it('exits 2 on an unknown status and 1 on an unknown alert', async () => {
    expect((await kw(['alerts', 'list', '--status', 'closed'])).code).toBe(2);
    const missing = await kw(['alerts', 'ack', 'alr_missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no alert/);
  });
});
