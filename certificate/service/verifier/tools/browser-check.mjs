// Browser test driver: headless Chromium (Debian's /usr/bin/chromium) through
// playwright-core, with a fake camera playing a Y4M made from each pass's QR PNG.
// Opens the verifier page, scans with the camera, reads the verdict; also pastes a
// text, and checks the page again offline (service worker + stored verification data).
// Records every request the page makes, so the caller can assert nothing about a pass
// left the page.
//
//   node tools/browser-check.mjs cases.json results.json
// cases: {"base": "http://127.0.0.1:PORT", "chromium": "/usr/bin/chromium",
//         "camera": [{"id", "png"}], "paste": [{"id", "text", "lang"?}], "photo": [{"id", "png"}],
//         "offline_paste": [{"id", "text"}]}

import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { decodePng, toY4m } from './png-to-y4m.mjs';

const [input, output] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(input, 'utf8'));
const executablePath = cases.chromium || '/usr/bin/chromium';

async function withBrowser(videoFile, fn) {
  const profile = mkdtempSync(join(tmpdir(), 'verifier-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
  ];
  if (videoFile) args.push(`--use-file-for-fake-video-capture=${videoFile}`);
  // A persistent context on a fresh folder is Playwright's way to pass --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args,
    permissions: ['camera'],
    serviceWorkers: 'allow',
    timeout: 60000,
  });
  const requests = [];
  context.on('request', (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() || '' }));
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(30000);
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('console', (m) => {
      // Offline, the browser logs the failed document downloads: expected, not an error.
      if (m.type() === 'error' && !m.text().includes('ERR_INTERNET_DISCONNECTED')) consoleErrors.push(`console: ${m.text()}`);
    });
    page.diagnostics = consoleErrors;
    return await fn(page, context, requests, consoleErrors);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function readVerdict(page) {
  try {
    await page.waitForSelector('#verdict:not([hidden])', { timeout: 30000 });
  } catch (e) {
    const state = await page
      .evaluate(() => {
        const v = document.getElementById('video');
        const err = document.getElementById('scan-error');
        return { video: [v.videoWidth, v.videoHeight, v.readyState], scanError: err.hidden ? null : err.textContent };
      })
      .catch((x) => String(x));
    throw new Error(`no verdict (${JSON.stringify(state)}); page errors: ${JSON.stringify(page.diagnostics)}; ${e.message}`);
  }
  return page.evaluate(() => {
    const t = (id) => document.getElementById(id).textContent.trim();
    const v = document.getElementById('verdict');
    return {
      verdict: v.dataset.verdict,
      title: t('verdict-title'),
      name: t('verdict-name'),
      dob: t('verdict-dob'),
      reason: t('verdict-reason'),
      person_shown: !document.getElementById('verdict-person').hidden,
      until: document.getElementById('verdict-until').hidden ? null : t('verdict-until'),
      check_id: document.getElementById('verdict-check-id').hidden ? null : t('verdict-check-id'),
      focused: document.activeElement && document.activeElement.id,
      lang: document.documentElement.lang,
    };
  });
}

async function openReady(page, base) {
  await page.goto(`${base}/verifier`);
  try {
    await page.waitForSelector('body[data-ready="ready"]', { timeout: 30000 });
  } catch (e) {
    const state = await page.evaluate(() => document.body.dataset.ready).catch(() => 'unknown');
    throw new Error(`page not ready (state ${state}); page errors: ${JSON.stringify(page.diagnostics)}; ${e.message}`);
  }
}

const results = { camera: [], paste: [], photo: [], offline_paste: [], requests: [], errors: [] };
const work = mkdtempSync(join(tmpdir(), 'verifier-y4m-'));
try {
  for (const c of cases.camera || []) {
    const video = join(work, `${c.id}.y4m`);
    writeFileSync(video, toY4m(decodePng(readFileSync(c.png))));
    const r = await withBrowser(video, async (page, _ctx, requests, errors) => {
      await openReady(page, cases.base);
      await page.click('#scan-button');
      const verdict = await readVerdict(page);
      // The verdict covers the whole window.
      const covers = await page.evaluate(() => {
        const r = document.getElementById('verdict').getBoundingClientRect();
        return r.top === 0 && r.left === 0 && r.width === window.innerWidth && r.height === window.innerHeight;
      });
      // For a person reviewing the page: VERIFIER_SCREENSHOT_DIR keeps what the venue saw.
      if (process.env.VERIFIER_SCREENSHOT_DIR) await page.screenshot({ path: join(process.env.VERIFIER_SCREENSHOT_DIR, `camera-${c.id}.png`) });
      await page.keyboard.press('Escape');
      if (process.env.VERIFIER_SCREENSHOT_DIR) await page.screenshot({ path: join(process.env.VERIFIER_SCREENSHOT_DIR, 'start.png'), fullPage: true });
      const closed = await page.evaluate(() => document.getElementById('verdict').hidden && document.getElementById('verdict-name').textContent === '');
      const scanLabel = await page.evaluate(() => document.getElementById('scan-button').textContent.trim());
      results.requests.push(...requests);
      results.errors.push(...errors);
      return { id: c.id, ...verdict, closed, scan_label: scanLabel, covers };
    });
    results.camera.push(r);
  }
  if ((cases.paste || []).length || (cases.offline_paste || []).length) {
    await withBrowser(null, async (page, context, requests, errors) => {
      await openReady(page, cases.base);
      for (const c of cases.paste || []) {
        if (c.lang) await page.click(`#lang-${c.lang}`);
        await page.fill('#paste', c.text);
        await page.click('#check-button');
        results.paste.push({ id: c.id, ...(await readVerdict(page)) });
        if (process.env.VERIFIER_SCREENSHOT_DIR) await page.screenshot({ path: join(process.env.VERIFIER_SCREENSHOT_DIR, `paste-${c.id}.png`) });
        await page.click('#next');
      }
      for (const c of cases.photo || []) {
        await page.setInputFiles('#photo', c.png);
        results.photo.push({ id: c.id, ...(await readVerdict(page)) });
        await page.click('#next');
      }
      // Offline: the service worker serves the page, the stored documents verify.
      await page.evaluate(() => navigator.serviceWorker.ready);
      await context.setOffline(true);
      await page.reload();
      await page.waitForSelector('body[data-ready]', { timeout: 30000 });
      await page.waitForFunction(() => document.body.dataset.ready !== 'prepared');
      for (const c of cases.offline_paste || []) {
        await page.fill('#paste', c.text);
        await page.click('#check-button');
        const network = await page.evaluate(() => document.getElementById('network').textContent.trim());
        results.offline_paste.push({ id: c.id, network, ...(await readVerdict(page)) });
        await page.click('#next');
      }
      await context.setOffline(false);
      results.requests.push(...requests);
      results.errors.push(...errors);
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(output, JSON.stringify(results));
