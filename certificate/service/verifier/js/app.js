// The venue verifier page: scan (camera, pasted text, photo) → verify in this page →
// full-screen verdict. The scanned text and its contents never leave this page.

import { verify, prepareTrustList, prepareRevocations } from './verify.js';
import { TEXT, LANGS, reasonFor } from './i18n.js';
import { stored, refreshAll } from './store.js';
import { CameraScanner, decodeFile } from './scanner.js';

const $ = (id) => document.getElementById(id);
const scanner = new CameraScanner();
let lang = localStorage.getItem('verifier:lang') || 'da';
if (!LANGS.includes(lang)) lang = 'da';
let ctx = null; // prepared verification data
let lastResult = null;
let lastFocus = null;
let lastSource = null; // 'camera' | 'paste' | 'photo'

function t(key) {
  return TEXT[lang][key] ?? TEXT.en[key] ?? key;
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  $('scan-button').textContent = scanner.running ? t('stopScan') : t('scan');
  showData();
  if (lastResult && !$('verdict').hidden) renderVerdict(lastResult);
}

function when(ms) {
  return new Date(ms).toLocaleString(lang === 'da' ? 'da-DK' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

function showData() {
  for (const name of ['trustList', 'revocations', 'rules']) {
    const doc = stored(name);
    $(`data-${name}`).textContent = doc ? `${t('downloaded')} ${when(doc.fetchedAt)}` : t('never');
  }
  $('network').textContent = navigator.onLine ? t('online') : t('offline');
  $('not-ready').hidden = ctx !== null;
}

async function prepare() {
  const trust = stored('trustList');
  const revocations = stored('revocations');
  const rules = stored('rules');
  if (!trust || !revocations || !rules) {
    ctx = null;
    return;
  }
  try {
    ctx = {
      trust: await prepareTrustList(trust.body),
      revocations: prepareRevocations(revocations.body),
      rules: Array.isArray(rules.body) ? rules.body : [],
      country: 'DK',
    };
  } catch {
    ctx = null;
  }
}

async function update() {
  const results = await refreshAll();
  $('refresh-error').hidden = !Object.values(results).some((r) => r.error);
  await prepare();
  showData();
}

function renderVerdict(result) {
  const v = $('verdict');
  v.dataset.verdict = result.valid ? 'valid' : 'invalid';
  $('verdict-title').textContent = result.valid ? t('valid') : t('invalid');
  $('verdict-kind').textContent = result.kind === 'dk' ? t('domesticPass') : t('euPass');
  const holder = result.holder;
  // Name and birth date only from a pass whose signature verified: otherwise they are
  // whatever a forger wrote.
  const authentic = result.steps.signature && result.steps.signature.status === 'passed';
  const showPerson = authentic && holder && (holder.familyName || holder.givenName);
  $('verdict-person').hidden = !showPerson;
  if (showPerson) {
    $('verdict-name').textContent = [holder.givenName, holder.familyName].filter(Boolean).join(' ');
    $('verdict-dob').textContent = holder.dateOfBirth || '–';
  } else {
    $('verdict-name').textContent = '';
    $('verdict-dob').textContent = '';
  }
  const level1 = result.kind === 'dk' && result.level === 1;
  $('verdict-until').hidden = !(level1 && result.valid);
  $('verdict-check-id').hidden = !(level1 && result.valid);
  if (level1 && result.valid) $('verdict-until').textContent = `${t('validUntil')}: ${when(result.expiresAt * 1000)}`;
  $('verdict-reason').textContent = result.valid ? '' : reasonFor(result, lang) || '';
}

async function check(text, source) {
  lastSource = source;
  $('scan-error').hidden = true;
  if (!ctx) {
    showData();
    $('not-ready').hidden = false;
    return;
  }
  const result = await verify(text, { ...ctx, now: Date.now(), lang });
  lastResult = result;
  lastFocus = document.activeElement;
  renderVerdict(result);
  $('verdict').hidden = false;
  $('next').focus();
}

function closeVerdict() {
  $('verdict').hidden = true;
  // Drop what the last pass said: the page keeps nothing about the person.
  lastResult = null;
  $('verdict-name').textContent = '';
  $('verdict-dob').textContent = '';
  $('verdict-reason').textContent = '';
  $('paste').value = '';
  (lastFocus && document.contains(lastFocus) ? lastFocus : $('scan-button')).focus();
}

function scanError(key) {
  $('scan-error').textContent = t(key);
  $('scan-error').hidden = false;
}

async function toggleCamera() {
  if (scanner.running) {
    scanner.stop();
    $('camera').hidden = true;
    $('scan-button').textContent = t('scan');
    return;
  }
  $('camera').hidden = false;
  try {
    await scanner.start($('video'), (text) => {
      $('camera').hidden = true;
      $('scan-button').textContent = t('scan');
      check(text, 'camera');
    });
    // The first frame may already have held the code and stopped the camera.
    $('scan-button').textContent = scanner.running ? t('stopScan') : t('scan');
  } catch {
    $('camera').hidden = true;
    scanError('noCamera');
  }
}

function wire() {
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => {
      lang = b.dataset.lang;
      localStorage.setItem('verifier:lang', lang);
      applyLanguage();
    });
  }
  $('scan-button').addEventListener('click', toggleCamera);
  $('paste-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('paste').value.trim();
    if (text) check(text, 'paste');
  });
  $('photo').addEventListener('change', async () => {
    const file = $('photo').files[0];
    $('photo').value = '';
    if (!file) return;
    let text = null;
    try {
      text = await decodeFile(file);
    } catch {
      text = null;
    }
    if (text) check(text, 'photo');
    else scanError('noQr');
  });
  // "Scan next" goes straight back to the camera when the pass came from it.
  $('next').addEventListener('click', () => {
    const again = lastSource === 'camera';
    closeVerdict();
    if (again) toggleCamera();
  });
  $('verdict').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeVerdict();
    // Keep keyboard focus inside the verdict while it covers the page.
    if (e.key === 'Tab') {
      e.preventDefault();
      $('next').focus();
    }
  });
  $('refresh').addEventListener('click', update);
  window.addEventListener('online', update);
  window.addEventListener('offline', showData);
}

async function main() {
  wire();
  await prepare();
  applyLanguage();
  document.body.dataset.ready = 'prepared';
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {});
  }
  await update();
  document.body.dataset.ready = ctx ? 'ready' : 'not-ready';
}

main();
