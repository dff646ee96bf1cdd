// The verification data (trust list, revocation list, rules): downloaded from this
// service's /v1/verifier/* documents with If-None-Match, kept in localStorage with the
// time of download, and used from there when offline. These documents hold no personal
// data, and no request here carries anything about a scanned pass.

export const DOCUMENTS = {
  trustList: '/v1/verifier/trust-list',
  revocations: '/v1/verifier/revocations',
  rules: '/v1/verifier/rules',
};

const KEY = 'verifier:doc:';

/** The stored copy: {body, etag, fetchedAt (ms), checkedAt (ms)} or null. */
export function stored(name) {
  try {
    const raw = localStorage.getItem(KEY + name);
    if (!raw) return null;
    const doc = JSON.parse(raw);
    return doc && typeof doc.body === 'object' ? doc : null;
  } catch {
    return null;
  }
}

function save(name, doc) {
  try {
    localStorage.setItem(KEY + name, JSON.stringify(doc));
  } catch {
    // Storage full or disabled: the copy in memory still serves this session.
  }
}

/**
 * Refreshes one document. Returns {doc, updated, error}: the stored copy stays in use
 * when the network or the server fails.
 */
export async function refresh(name) {
  const old = stored(name);
  const headers = {};
  if (old && old.etag) headers['If-None-Match'] = old.etag;
  try {
    const r = await fetch(DOCUMENTS[name], { headers, cache: 'no-store', credentials: 'omit' });
    const now = Date.now();
    if (r.status === 304 && old) {
      const doc = { ...old, checkedAt: now };
      save(name, doc);
      return { doc, updated: false, error: null };
    }
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const body = await r.json();
    const doc = { body, etag: r.headers.get('ETag'), fetchedAt: now, checkedAt: now };
    save(name, doc);
    return { doc, updated: true, error: null };
  } catch (e) {
    return { doc: old, updated: false, error: String(e.message || e) };
  }
}

export async function refreshAll() {
  const out = {};
  for (const name of Object.keys(DOCUMENTS)) out[name] = await refresh(name);
  return out;
}
