import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, signBody } from '../../src/admin/rotation-sinks.js';
import { DEFAULT_OPENAI_KEY, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { type FakeVault, startFakeVault } from '../fakes/fake-vault.js';
import { type ManualClock, manualClock } from '../fakes/manual-clock.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { adminOk } from '../proxy/proxy-env.js';

const SIGNING_SECRET = 'whsec-test-signing-secret';
const DAY = 86_400_000;

interface Delivery {
  body: string;
  signature: string | undefined;
}

let gw: TestGateway;
let fake: FakeUpstream;
let vault: FakeVault;
let clock: ManualClock;
let hook: http.Server;
let hookUrl: string;
const deliveries: Delivery[] = [];
/** How many of the next deliveries the webhook answers with 500. */
let failNext = 0;

beforeAll(async () => {
  fake = await startFakeUpstream();
  vault = await startFakeVault({ rootToken: 'hvs.root' });
  hook = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end();
        return;
      }
      deliveries.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: req.headers[SIGNATURE_HEADER] as string,
      });
      res.writeHead(204).end();
    });
  });
  hook.listen(0, '127.0.0.1');
  await once(hook, 'listening');
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/rotated`;
  clock = manualClock();
  gw = await startGateway({
    clock,
    captureLogs: true,
    env: { HOOK_SECRET: SIGNING_SECRET, VAULT_ADDR: vault.url, VAULT_TOKEN: 'hvs.root' },
  });
  await adminOk(gw, 'POST', '/admin/v1/providers', {
    name: 'openai',
    type: 'openai',
    base_url: fake.url,
    api_key: DEFAULT_OPENAI_KEY,
  });
  await adminOk(gw, 'POST', '/admin/v1/projects', { name: 'app' });
});

afterAll(async () => {
  await gw.stop();
  await fake.close();
  await vault.close();
  hook.closeAllConnections();
  hook.close();
});

const status = async (secret: string) =>
  (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })).status;

describe('automatic rotation', () => {
  it('delivers the new secret to a signed webhook (retrying through failures), and never to the log', async () => {
    const created = await adminOk<{ id: string; key: string }>(gw, 'POST', '/admin/v1/keys', {
      name: 'webhook-key',
      project: 'app',
      default_provider: 'openai',
      rotation_policy: {
        max_age_seconds: 30 * 86_400,
        grace_seconds: 3600,
        auto_rotate: true,
        sink: { type: 'webhook', url: hookUrl, signing_secret_ref: 'env:HOOK_SECRET' },
      },
    });
    expect((await gw.keywarden.autoRotation.runOnce()).rotated).not.toContain(created.id);

    clock.advance(31 * DAY);
    failNext = 2;
    const pass = await gw.keywarden.autoRotation.runOnce();
    expect(pass.rotated).toContain(created.id);
    const delivery = deliveries.find((d) => d.body.includes(created.id));
    expect(delivery?.signature).toBe(signBody(delivery?.body ?? '', SIGNING_SECRET));
    const body = JSON.parse(delivery?.body ?? '{}') as { key: string; key_id: string; type: string };
    expect(body).toMatchObject({ type: 'key.rotated', key_id: created.id });

    expect(await status(body.key)).toBe(200);
    expect(await status(created.key)).toBe(200);
    clock.advance(3600_001);
    expect(await status(created.key)).toBe(401);
    expect(gw.logs.join('\n')).not.toContain(body.key);
    expect(gw.logs.join('\n')).toContain('key rotated by its rotation policy');
  });

  it('keeps the current secret when the sink cannot take the new one', async () => {
    const created = await adminOk<{ id: string; key: string }>(gw, 'POST', '/admin/v1/keys', {
      name: 'unreachable-sink-key',
      project: 'app',
      default_provider: 'openai',
      rotation_policy: {
        max_age_seconds: 86_400,
        auto_rotate: true,
        sink: {
          type: 'webhook',
          url: 'http://127.0.0.1:9/nothing-listens',
          signing_secret_ref: 'env:HOOK_SECRET',
        },
      },
    });
    clock.advance(2 * DAY);
    const pass = await gw.keywarden.autoRotation.runOnce();
    expect(pass.failed).toContain(created.id);
    expect(await status(created.key)).toBe(200);
  }, 20_000);

  it('writes the new secret to a Vault KV path', async () => {
    await adminOk(gw, 'PATCH', '/admin/v1/projects/app', {
      rotation_policy: {
        max_age_seconds: 7 * 86_400,
        auto_rotate: true,
        sink: { type: 'vault', path: 'secret/apps/from-project' },
      },
    });
    const created = await adminOk<{ id: string; key: string }>(gw, 'POST', '/admin/v1/keys', {
      name: 'vault-key',
      project: 'app',
      default_provider: 'openai',
    });
    clock.advance(8 * DAY);
    expect((await gw.keywarden.autoRotation.runOnce()).rotated).toContain(created.id);
    const written = vault.versions('secret', 'apps/from-project').find((v) => v.key_id === created.id);
    expect(written?.api_key).toMatch(/^kw_/);
    expect(await status(written?.api_key ?? '')).toBe(200);
  });
});
