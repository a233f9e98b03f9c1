/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 * sign in, create a project and a key, send a request with the key, see it on the key's chart,
 * revoke it. Skips, saying why, where Chromium is not installed; CI installs it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { addOpenAiProvider, startGateway, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
/** Set SCREENSHOT_DIR to keep a picture of every view. */
const screenshots = process.env.SCREENSHOT_DIR;

if (!hasChromium) {
  console.warn(
    `dashboard end-to-end test skipped: ${CHROMIUM} not found (apt-get install chromium to run it)`,
  );
}

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let gw: TestGateway;
  let fake: FakeUpstream;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await startGateway();
    await addOpenAiProvider(gw, fake.url);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    if (screenshots) mkdirSync(screenshots, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await fake?.close();
  });

  const shot = async (name: string) => {
    if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  };

  it('signs in, creates a key, shows its request on the chart and revokes it', async () => {
    // A JSON caller still gets the landing document at /.
    const landing = await fetch(gw.url, { headers: { accept: 'application/json' } });
    expect(((await landing.json()) as { admin_api: string }).admin_api).toBe('/admin/v1');

    await page.goto(gw.url);
    await shot('0-sign-in');
    await page.getByLabel('Admin token').fill('kwa_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBeTruthy();

    await page.getByLabel('Admin token').fill(gw.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // The session cookie is httpOnly: page scripts cannot read it.
    expect(await page.evaluate('document.cookie')).toBe('');
    await shot('1-overview-empty');

    await page.getByRole('link', { name: 'Projects' }).click();
    await page.locator('input[name=project-name]').fill('web');
    await page.locator('input[name=project-budget]').fill('25');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('cell', { name: 'web', exact: true }).waitFor();

    await page.getByRole('link', { name: 'Keys', exact: true }).click();
    await page.getByRole('button', { name: 'New key' }).click();
    await page.locator('input[name=name]').fill('checkout-bot');
    await page.locator('input[name=budget]').fill('5');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-key-secret').textContent()) ?? '';
    expect(secret).toMatch(/^kw_[A-Za-z0-9]{38}$/);
    await shot('2-keys-created');

    const client = new OpenAI({ apiKey: secret, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await gw.flushUsage();

    await page.getByRole('link', { name: 'checkout-bot' }).click();
    await page.getByRole('heading', { name: /checkout-bot/ }).waitFor();
    await expect.poll(() => page.getByTestId('key-requests-24h').textContent()).toBe('1 request');
    // One bar on the chart: the hour the request was made in.
    await expect
      .poll(() => page.getByTestId('key-requests-chart').locator('.recharts-bar-rectangle path').count())
      .toBe(1);
    await page.getByRole('cell', { name: 'gpt-4o-mini' }).waitFor();
    await shot('3-key-detail');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('h1 .status-revoked').waitFor();
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 401 });

    for (const [link, name] of [
      ['Overview', '4-overview'],
      ['Providers', '5-providers'],
      ['Alerts', '6-alerts'],
      ['Audit log', '7-audit'],
      ['Projects', '8-projects'],
      ['Keys', '9-keys'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      await shot(name);
    }

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    // The old session no longer opens the admin API.
    expect((await page.request.get(`${gw.url}/admin/v1/keys`)).status()).toBe(401);
  }, 90_000);

  it('refuses a state-changing admin call made with the session cookie but no CSRF token', async () => {
    const signIn = await fetch(`${gw.url}/dashboard/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: gw.adminToken }),
    });
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0] ?? '';
    const { csrf_token: csrf } = (await signIn.json()) as { csrf_token: string };
    const create = (headers: Record<string, string>) =>
      fetch(`${gw.url}/admin/v1/projects`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name: `p-${Object.keys(headers).length}` }),
      });
    expect((await create({})).status).toBe(403);
    expect((await create({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await create({ 'x-csrf-token': csrf })).status).toBe(201);
    expect((await fetch(`${gw.url}/admin/v1/projects`, { headers: { cookie } })).status).toBe(200);
  });
});
