import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { issueSecret } from '../../src/domain/key-format.js';
import { startGateway, type TestGateway, tempDataDir } from '../helpers/gateway.js';

const SECRET = 'whsec_test_shared_secret';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver that fails the first `failures` deliveries with 503. */
async function receiver(failures: number) {
  const received: Received[] = [];
  let seen = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      seen += 1;
      res.writeHead(seen <= failures ? 503 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let gw: TestGateway | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  await gw?.stop();
  await closeReceiver?.();
  gw = undefined;
});

const waits: number[] = [];
const recordWait = async (ms: number) => {
  waits.push(ms);
};

async function gatewayWithHooks(hooks: string) {
  waits.length = 0;
  const dataDir = tempDataDir();
  writeFileSync(join(dataDir, 'keywarden.yaml'), `alerts:\n  max_attempts: 4\n  webhooks:\n${hooks}`);
  return startGateway({ dataDir, retryDelay: recordWait });
}

function verify(r: Received): boolean {
  const timestamp = String(r.headers['x-keywarden-timestamp']);
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${r.body}`).digest('hex')}`;
  const given = String(r.headers['x-keywarden-signature']);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

describe('alert webhooks', () => {
  it('signs the JSON body with HMAC-SHA256 and retries with backoff until delivered', async () => {
    const hook = await receiver(2);
    closeReceiver = hook.close;
    gw = await gatewayWithHooks(`    - { name: ops, url: "${hook.url}", secret: ${SECRET} }\n`);
    const leaked = issueSecret('key');
    const raised = await gw.keywarden.watch.alerts.raise({
      type: 'leak_detected',
      severity: 'critical',
      message: `key ${leaked.secret} found in a public repo`,
      details: { where: 'github' },
    });
    expect(raised).toBeDefined();
    await gw.keywarden.watch.idle();

    expect(hook.received).toHaveLength(3);
    for (const r of hook.received) expect(verify(r)).toBe(true);
    const payload = JSON.parse(hook.received[2]?.body ?? '{}');
    expect(payload.alert).toMatchObject({ id: raised?.id, type: 'leak_detected', severity: 'critical' });
    // The key in the message was masked down to its display prefix.
    expect(payload.alert.message).toContain(`${leaked.displayPrefix}…`);
    expect(hook.received.map((r) => r.body).join('')).not.toContain(leaked.secret);
    // A tampered body does not verify.
    expect(verify({ headers: hook.received[0]?.headers ?? {}, body: `${hook.received[0]?.body} ` })).toBe(
      false,
    );

    const shown = await gw.admin('GET', `/admin/v1/alerts/${raised?.id}`);
    expect(
      shown.body.deliveries.map((d: { attempt: number; outcome: string; status_code: number }) => [
        d.attempt,
        d.outcome,
        d.status_code,
      ]),
    ).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'delivered', 204],
    ]);
    expect(JSON.stringify(shown.body)).not.toContain(hook.url);
    // Exponential backoff from alerts.retry_base_ms (1 s by default): 1 s, then 2 s.
    expect(waits).toEqual([1000, 2000]);
  });

  it('gives up after the configured attempts and logs each one', async () => {
    const hook = await receiver(100);
    closeReceiver = hook.close;
    gw = await gatewayWithHooks(`    - { name: ops, url: "${hook.url}", secret: ${SECRET} }\n`);
    const raised = await gw.keywarden.watch.alerts.raise({
      type: 'credential_failing',
      message: 'openai refused',
    });
    await gw.keywarden.watch.idle();
    expect(hook.received).toHaveLength(4);
    expect(waits).toEqual([1000, 2000, 4000]);
    const shown = await gw.admin('GET', `/admin/v1/alerts/${raised?.id}`);
    expect(shown.body.deliveries.map((d: { outcome: string }) => d.outcome)).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
  });

  it('sends Slack incoming-webhook messages to a slack target', async () => {
    const hook = await receiver(0);
    closeReceiver = hook.close;
    gw = await gatewayWithHooks(`    - { name: slack, url: "${hook.url}", format: slack }\n`);
    await gw.keywarden.watch.alerts.raise({
      type: 'anomaly',
      severity: 'critical',
      message: 'cost 20x usual',
    });
    await gw.keywarden.watch.idle();
    const body = JSON.parse(hook.received[0]?.body ?? '{}');
    expect(body.text).toContain('cost 20x usual');
    expect(body.blocks[0].type).toBe('section');
  });

  it('lists and acknowledges alerts through the admin API', async () => {
    gw = await startGateway();
    const a = await gw.keywarden.watch.alerts.raise({ type: 'anomaly', message: 'one', dedupeKey: 'x' });
    expect(
      await gw.keywarden.watch.alerts.raise({ type: 'anomaly', message: 'dup', dedupeKey: 'x' }),
    ).toBeUndefined();
    expect((await gw.admin('GET', '/admin/v1/alerts')).body.data.map((x: { id: string }) => x.id)).toEqual([
      a?.id,
    ]);
    const acked = await gw.admin('POST', `/admin/v1/alerts/${a?.id}/ack`);
    expect(acked.body.status).toBe('acknowledged');
    expect((await gw.admin('GET', '/admin/v1/alerts')).body.data).toEqual([]);
    expect((await gw.admin('GET', '/admin/v1/alerts?status=bogus')).status).toBe(400);
    expect((await gw.admin('POST', '/admin/v1/alerts/alr_nope/ack')).status).toBe(404);
  });
});
