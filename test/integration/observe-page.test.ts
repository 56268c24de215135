// The status page at / (issue 11) in a real browser: Debian's headless Chromium, driven by
// playwright-core (never a downloaded browser), loads the page from a running daemon and sees
// a real's state change without the page being reloaded. A screenshot is kept under
// test/artifacts/ (gitignored). The page and its data never show the configured password.
// Reals: TCP listeners on 127.0.41.11-12 (checktype=connect); listener on 127.0.41.10.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BrowserContext, chromium } from 'playwright-core';
import { DaemonScratch, Switchable } from '../support/daemon-harness.ts';
import { hasProgram, httpGet, startWithMetrics } from '../support/observe.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = hasProgram(CHROMIUM)
  ? false
  : 'chromium is not installed (test/setup/setup.sh installs it)';
const root = new URL('../../', import.meta.url).pathname;
const ARTIFACTS = join(root, 'test/artifacts');
const HOST = '127.0.41.10';
const SECRET = 'Page-S3cret-never-shown';

const web1 = new Switchable('127.0.41.11', 8080);
const web2 = new Switchable('127.0.41.12', 8080);
const s = new DaemonScratch('ldts-observe-page');
let port = 0;
let context: BrowserContext | undefined;
let profile = '';

before(async () => {
  if (skip) return;
  port = await startWithMetrics(
    s,
    HOST,
    [web1, web2],
    [
      'virtual=10.41.1.1:80',
      '\treal=127.0.41.11:8080 masq 2',
      '\treal=127.0.41.12:8080 masq',
      '\tchecktype=connect',
      '\tfallback=127.0.0.1:80',
      `\tlogin=monitor`,
      `\tpasswd=${SECRET}`,
      'virtual=10.41.1.2:80',
      '\treal=127.0.41.11:8080 gate',
      '\tchecktype=connect',
    ],
  );
  profile = mkdtempSync(join(tmpdir(), 'ldts-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 600 },
    timeout: 60_000,
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await s.finish([web1, web2]);
});

test('the page follows a real going down and up without reloading', { skip }, async () => {
  const page = await context!.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://${HOST}:${port}/?refresh=1`, { waitUntil: 'load', timeout: 20_000 });
  const row = page.locator(
    'section[data-virtual="tcp:10.41.1.1:80"] tr[data-real="127.0.41.12:8080"]',
  );
  await row.and(page.locator('[data-state="up"]')).waitFor({ timeout: 20_000 });
  // A mark in the page's own state: a reload would lose it.
  await page.evaluate(() => {
    (globalThis as unknown as { mark: number }).mark = 42;
  });
  const navigations: string[] = [];
  page.on('framenavigated', (f) => navigations.push(f.url()));

  await web2.down();
  await row.and(page.locator('[data-state="down"]')).waitFor({ timeout: 20_000 });
  assert.equal(await row.locator('td.state').textContent(), 'DOWN');
  assert.match((await row.locator('td.reason').textContent()) ?? '', /refused/i);
  // The history strip shows both: the up checks and the failed one.
  await row.locator('.hist i.d').first().waitFor({ timeout: 10_000 });
  assert.ok((await row.locator('.hist i.u').count()) >= 1);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'status-page-real-down.png'), fullPage: true });

  await web2.up();
  await row.and(page.locator('[data-state="up"]')).waitFor({ timeout: 20_000 });
  assert.equal(await page.evaluate(() => (globalThis as unknown as { mark: number }).mark), 42);
  assert.deepEqual(navigations, [], 'the page was never reloaded');
  assert.deepEqual(errors, []);
  const header = await page.locator('section[data-virtual="tcp:10.41.1.1:80"] h2').textContent();
  assert.match(header ?? '', /2\/2 up/);
  assert.equal(await page.locator('section').count(), 2);

  // Everything it loaded came from the daemon: no external asset.
  const origins = new Set(requests.map((u) => new URL(u).origin));
  assert.deepEqual([...origins], [`http://${HOST}:${port}`]);
  const html = await page.content();
  assert.ok(!html.includes(SECRET), 'the password is not on the page');
  for (const path of ['/', '/status', '/checks']) {
    const r = await httpGet(`http://${HOST}:${port}${path}`);
    assert.equal(r.status, 200, path);
    assert.ok(!r.body.includes(SECRET), `the password is not in ${path}`);
  }
  await page.close();
});
