// The venue verifier's pipeline, step by step as certificate/src/verify.rs:
// prefix → Base45 → inflate → COSE → CWT → kid → signature → expiry → key usage →
// schema → revocation → business rules; and the Danish domestic pass (DK1:), which
// shares the transport and signature steps.
//
// Pure apart from WebCrypto (in the browser and in Node 20):
// the caller hands in the trust list, revocation list, rules and the clock. Nothing here
// sends anything anywhere, and the decoded payload is only returned to the caller.

import * as base45 from './base45.js';
import { decodeFirst, encode, CborMap, Tag, mapGet } from './cbor.js';
import { publicKeyOf, rsaSpki } from './der.js';
import { inflateZlib, InflateError } from './inflate.js';
import { validators } from '../vendor/dcc-schemas.js';
import { evaluate } from '../vendor/certlogic.js';
import { valueSets as bundledValueSets } from '../vendor/valuesets.js';

export const EU_STEPS = ['prefix', 'base45', 'inflate', 'cose', 'cwt', 'kid', 'signature', 'expiry', 'key_usage', 'schema', 'revocation', 'rules'];
export const DK_STEPS = ['prefix', 'base45', 'inflate', 'cose', 'cwt', 'kid', 'signature', 'expiry', 'revocation', 'content'];

/** Cap on the inflated COSE size, as codec::DEFAULT_MAX_INFLATED. */
export const MAX_INFLATED = 64 * 1024;

const subtle = globalThis.crypto.subtle;
const ALG_ES256 = -7n;
const ALG_PS256 = -37n;
const CLAIM_ISS = 1n;
const CLAIM_EXP = 4n;
const CLAIM_IAT = 6n;
const CLAIM_HCERT = -260n;
const CLAIM_DKPASS = -261n;

// ---------- step outcomes ----------

const passed = (detail = null) => ({ status: 'passed', detail });
const failed = (code, message, extra = {}) => ({ status: 'failed', code, message, ...extra });
const notRun = (why = 'earlier_step_failed') => ({ status: 'not_run', detail: why });

class StepFailure extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }
}

// ---------- base64 ----------

export function b64encode(bytes) {
  let s = '';
  for (const x of bytes) s += String.fromCharCode(x);
  return btoa(s);
}

export function b64decode(text) {
  const s = atob(text.trim());
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// ---------- transport ----------

/** Strips a context identifier: `HC1:` for EU passes, `DK1:` for domestic ones (hcert §5). */
export function stripPrefix(text, wanted) {
  if (text.startsWith(wanted)) return text.slice(wanted.length);
  const head = text.slice(0, 4);
  if (head.length === 4 && head[3] === ':' && /^[A-Za-z0-9]{3}$/.test(head.slice(0, 3))) {
    throw new StepFailure('unsupported', `unsupported context identifier "${head}" (only ${wanted} is supported)`, { identifier: head });
  }
  throw new StepFailure('missing', `missing the ${wanted} prefix`);
}

/** zlib inflate (RFC 1950, any valid header) with a size cap, as codec::Inflater. */
export async function inflate(bytes, limit = MAX_INFLATED) {
  try {
    return inflateZlib(bytes, limit);
  } catch (e) {
    if (e instanceof InflateError) throw new StepFailure(e.code, e.message);
    throw e;
  }
}

// ---------- COSE_Sign1 (RFC 9052 §4.2) ----------

// Header checks as coset's Header::from_cbor_value: labels are integers or text, no
// duplicates, and the well-known labels have their types.
function parseHeader(map, where) {
  if (!(map instanceof CborMap)) throw new StepFailure('structure', `${where} header is not a map`);
  const seen = new Set();
  const h = { alg: undefined, kid: new Uint8Array(0), iv: null, partialIv: null };
  for (const [k, v] of map.entries) {
    if (typeof k !== 'bigint' && typeof k !== 'string') throw new StepFailure('structure', `${where} header label is not an integer or text`);
    const key = typeof k === 'bigint' ? `i${k}` : `t${k}`;
    if (seen.has(key)) throw new StepFailure('structure', `${where} header has a duplicate label`);
    seen.add(key);
    if (k === 1n) {
      if (typeof v !== 'bigint' && typeof v !== 'string') throw new StepFailure('structure', 'alg is not an integer or text');
      h.alg = v;
    } else if (k === 2n) {
      if (!Array.isArray(v) || v.length === 0) throw new StepFailure('structure', 'crit is not a non-empty array');
    } else if (k === 3n) {
      if (!(typeof v === 'string' || (typeof v === 'bigint' && v >= 0n))) throw new StepFailure('structure', 'content type has the wrong type');
    } else if (k === 4n) {
      if (!(v instanceof Uint8Array)) throw new StepFailure('structure', 'kid is not a byte string');
      h.kid = v;
    } else if (k === 5n) {
      if (!(v instanceof Uint8Array)) throw new StepFailure('structure', 'IV is not a byte string');
      h.iv = v;
    } else if (k === 6n) {
      if (!(v instanceof Uint8Array)) throw new StepFailure('structure', 'partial IV is not a byte string');
      h.partialIv = v;
    }
  }
  if (h.iv && h.iv.length && h.partialIv && h.partialIv.length) throw new StepFailure('structure', 'both IV and partial IV');
  return h;
}

/** Parses a COSE_Sign1: tag 18, untagged, or CWT tag 61 around tag 18 (codec::parse_cose). */
export function parseCose(bytes) {
  let value;
  let consumed;
  try {
    ({ value, consumed } = decodeFirst(bytes));
  } catch (e) {
    throw new StepFailure('cbor', `COSE is not well-formed CBOR: ${e.message}`);
  }
  if (consumed !== bytes.length) throw new StepFailure('trailing', `${bytes.length - consumed} trailing bytes after the COSE structure`);
  let tagging = 'untagged';
  let inner = value;
  if (value instanceof Tag) {
    if (value.tag === 61n) {
      if (!(value.value instanceof Tag)) throw new StepFailure('tag', 'unexpected CBOR tag 61', { tag: 61 });
      if (value.value.tag !== 18n) throw new StepFailure('tag', `unexpected CBOR tag ${value.value.tag}`, { tag: Number(value.value.tag) });
      inner = value.value.value;
      tagging = 'cwt_around_sign1';
    } else if (value.tag === 18n) {
      inner = value.value;
      tagging = 'sign1_tag';
    } else {
      throw new StepFailure('tag', `unexpected CBOR tag ${value.tag}`, { tag: Number(value.tag) });
    }
  }
  if (!Array.isArray(inner) || inner.length !== 4) throw new StepFailure('structure', 'not a COSE_Sign1 structure (an array of 4)');
  const [protectedBytes, unprotected, payload, signature] = inner;
  if (!(protectedBytes instanceof Uint8Array)) throw new StepFailure('structure', 'protected header is not a byte string');
  let protectedHeader = parseHeader(new CborMap([]), 'protected');
  if (protectedBytes.length > 0) {
    let ph;
    try {
      ph = decodeFirst(protectedBytes);
    } catch (e) {
      throw new StepFailure('structure', `protected header is not CBOR: ${e.message}`);
    }
    if (ph.consumed !== protectedBytes.length) throw new StepFailure('structure', 'trailing bytes in the protected header');
    protectedHeader = parseHeader(ph.value, 'protected');
  }
  const unprotectedHeader = parseHeader(unprotected, 'unprotected');
  if (!(payload instanceof Uint8Array) && payload !== null) throw new StepFailure('structure', 'payload is not a byte string');
  if (!(signature instanceof Uint8Array)) throw new StepFailure('structure', 'signature is not a byte string');
  if (payload === null) throw new StepFailure('missing_payload', 'COSE_Sign1 has no payload');
  const kid = protectedHeader.kid.length ? protectedHeader.kid : unprotectedHeader.kid.length ? unprotectedHeader.kid : null;
  const alg = protectedHeader.alg !== undefined ? protectedHeader.alg : unprotectedHeader.alg;
  return { tagging, protectedBytes, payload, signature, kid, alg };
}

/** The Sig_structure the signature covers (RFC 9052 §4.4), empty external AAD. */
export function toBeSigned(msg) {
  return encode(['Signature1', msg.protectedBytes, new Uint8Array(0), msg.payload]);
}

// ---------- CWT (RFC 8392) ----------

function numericDate(v, name) {
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new StepFailure('claim_type', `CWT claim ${name} has the wrong type`);
    return Number(v);
  }
  // RFC 8392 §2 NumericDate may be fractional; hcert wants integers but we read both.
  if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 1e15) return Math.floor(v);
  if (v instanceof Tag && v.tag === 1n) return numericDate(v.value, name);
  throw new StepFailure('claim_type', `CWT claim ${name} has the wrong type`);
}

/** CBOR → JSON as codec::cbor_to_json: tags dropped; byte strings and non-text keys refused. */
export function cborToJson(v) {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new StepFailure('not_json', 'DCC is not JSON-compatible: integer out of range');
    return Number(v);
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new StepFailure('not_json', 'DCC is not JSON-compatible: non-finite float');
    return v;
  }
  if (v instanceof Uint8Array) throw new StepFailure('not_json', 'DCC is not JSON-compatible: byte string');
  if (Array.isArray(v)) return v.map(cborToJson);
  if (v instanceof Tag) return cborToJson(v.value);
  if (v instanceof CborMap) {
    const out = {};
    for (const [k, x] of v.entries) {
      if (typeof k !== 'string') throw new StepFailure('not_json', 'DCC is not JSON-compatible: non-text map key');
      // "__proto__" must become an own property, not the prototype.
      Object.defineProperty(out, k, { value: cborToJson(x), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new StepFailure('not_json', 'DCC is not JSON-compatible: unsupported CBOR value');
}

/** The claims hcert uses; `claim` picks the payload claim (-260 hcert, -261 dkpass). */
function parseClaims(payload) {
  let value;
  try {
    // ciborium reads one item and leaves what follows: so do we.
    value = decodeFirst(payload).value;
  } catch (e) {
    throw new StepFailure('cbor', `CWT payload is not well-formed CBOR: ${e.message}`);
  }
  if (!(value instanceof CborMap)) throw new StepFailure('not_a_map', 'CWT payload is not a CBOR map');
  const c = { issuer: null, iat: null, exp: null, hcert: undefined, dkpass: undefined };
  for (const [k, v] of value.entries) {
    if (typeof k !== 'bigint') continue;
    if (k === CLAIM_ISS) {
      if (typeof v !== 'string') throw new StepFailure('claim_type', 'CWT claim iss has the wrong type');
      c.issuer = v;
    } else if (k === CLAIM_IAT) c.iat = numericDate(v, 'iat');
    else if (k === CLAIM_EXP) c.exp = numericDate(v, 'exp');
    else if (k === CLAIM_HCERT) c.hcert = v;
    else if (k === CLAIM_DKPASS) c.dkpass = v;
  }
  return c;
}

export function parseCwt(payload) {
  const c = parseClaims(payload);
  if (!(c.hcert instanceof CborMap)) throw new StepFailure('missing_hcert', 'CWT has no hcert claim (-260)');
  const dcc = mapGet(c.hcert, 1);
  if (dcc === undefined) throw new StepFailure('missing_dcc', 'hcert claim has no EU DCC (key 1)');
  return { issuer: c.issuer, iat: c.iat, exp: c.exp, dcc: cborToJson(dcc) };
}

// ---------- trust list ----------

/**
 * Prepares the served trust list (`{"certificates": [{kid, country, certificate,
 * allowed_types, not_before, not_after}]}`) for verification: keys imported once.
 * An entry that cannot be read is skipped and counted in `rejected`.
 */
export async function prepareTrustList(doc) {
  const byKid = new Map();
  let rejected = 0;
  const entries = Array.isArray(doc) ? doc : doc && Array.isArray(doc.certificates) ? doc.certificates : null;
  if (!entries) throw new Error('trust list: no certificates array');
  for (const e of entries) {
    try {
      const der = b64decode(e.certificate);
      const kid = b64encode(b64decode(e.kid));
      const key = publicKeyOf(der);
      if (key.kind === 'rsa') {
        try {
          key.cryptoKey = await subtle.importKey('spki', rsaSpki(key.pkcs1), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']);
        } catch (err) {
          key.kind = 'unsupported';
          key.what = `RSA key: ${err.message || err}`;
        }
      } else if (key.kind === 'p256') {
        // ring accepts only uncompressed points; a point off the curve verifies nothing.
        try {
          if (key.point.length !== 65 || key.point[0] !== 4) throw new Error('not an uncompressed point');
          key.cryptoKey = await subtle.importKey('raw', key.point, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
        } catch {
          key.cryptoKey = null;
        }
      }
      const types = Array.isArray(e.allowed_types) ? e.allowed_types : [];
      if (typeof e.not_before !== 'number' || typeof e.not_after !== 'number') throw new Error('validity missing');
      const cert = { kid, country: e.country ?? null, key, allowed: new Set(types), notBefore: e.not_before, notAfter: e.not_after };
      if (!byKid.has(kid)) byKid.set(kid, []);
      byKid.get(kid).push(cert);
    } catch {
      rejected += 1;
    }
  }
  return { byKid, rejected, size: entries.length - rejected };
}

/** The revocation list (`{"kids": {kid: {UCI|COUNTRYCODEUCI|SIGNATURE: [base64]}}}`) as sets. */
export function prepareRevocations(doc) {
  const sets = { UCI: new Set(), COUNTRYCODEUCI: new Set(), SIGNATURE: new Set() };
  const kids = doc && typeof doc.kids === 'object' && doc.kids ? doc.kids : null;
  if (!kids) throw new Error('revocation list: no kids object');
  for (const kinds of Object.values(kids)) {
    for (const [kind, hashes] of Object.entries(kinds || {})) {
      if (!sets[kind] || !Array.isArray(hashes)) continue;
      for (const h of hashes) sets[kind].add(b64encode(b64decode(h)));
    }
  }
  return sets;
}

// ---------- checks ----------

async function verifyOne(alg, tbs, signature, cert) {
  if (alg === 'ES256' && cert.key.kind === 'p256') {
    if (!cert.key.cryptoKey || signature.length !== 64) return { code: 'invalid' };
    const ok = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, cert.key.cryptoKey, signature, tbs);
    return ok ? null : { code: 'invalid' };
  }
  if (alg === 'PS256' && cert.key.kind === 'rsa') {
    try {
      const ok = await subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, cert.key.cryptoKey, signature, tbs);
      return ok ? null : { code: 'invalid' };
    } catch {
      return { code: 'invalid' };
    }
  }
  const what = cert.key.kind === 'p256' ? 'EC P-256' : cert.key.kind === 'rsa' ? 'RSA' : cert.key.what;
  return { code: 'key_mismatch', what };
}

function algorithmName(alg) {
  if (alg === ALG_ES256) return 'ES256';
  if (alg === ALG_PS256) return 'PS256';
  return null;
}

async function checkSignature(msg, candidates) {
  const alg = algorithmName(msg.alg);
  if (!alg) throw new StepFailure('unsupported_algorithm', `unsupported signature algorithm ${msg.alg === undefined ? 'none' : String(msg.alg)}`);
  const tbs = toBeSigned(msg);
  const failures = [];
  for (const cert of candidates) {
    const f = await verifyOne(alg, tbs, msg.signature, cert);
    if (!f) return { cert, alg };
    failures.push(f);
  }
  throw new StepFailure('not_verified', `signature not verified by any of the ${candidates.length} certificate(s) with this kid`, { failures });
}

/** DSC notBefore ≤ iat ≤ clock ≤ exp ≤ DSC notAfter (verify::check_expiry). */
export function checkExpiry(claims, cert, clock) {
  if (claims.iat === null) throw new StepFailure('missing_iat', 'no iat claim');
  if (claims.exp === null) throw new StepFailure('missing_exp', 'no exp claim');
  if (claims.iat < cert.notBefore) throw new StepFailure('issued_before_certificate', 'issued before the signing certificate became valid');
  if (claims.iat > clock) throw new StepFailure('issued_in_future', 'issued in the future');
  if (clock > claims.exp) throw new StepFailure('expired', 'expired');
  if (claims.exp > cert.notAfter) throw new StepFailure('outlives_certificate', 'expires after the signing certificate');
}

/** The single group key (v, t or r) when exactly one is present (schema::exactly_one_group). */
export function exactlyOneGroup(dcc) {
  if (!dcc || typeof dcc !== 'object' || Array.isArray(dcc)) return null;
  const present = ['v', 't', 'r'].filter((k) => Object.hasOwn(dcc, k) && dcc[k] !== null);
  return present.length === 1 ? present[0] : null;
}

function parseVersion(s) {
  if (typeof s !== 'string') return null;
  const parts = s.trim().split('.');
  if (parts.length !== 3 || !parts.every((p) => /^\+?[0-9]+$/.test(p) && Number(p) <= 0xffffffff)) return null;
  return parts.map(Number);
}

const schemaVersions = [...validators.keys()].map((v) => ({ v, parts: parseVersion(v), validate: validators.get(v) }));

/** Schema of the payload's own `ver`: exact, else the newest with the same major.minor (schema.rs). */
export function checkSchema(dcc) {
  const ver = parseVersion(dcc && typeof dcc === 'object' ? dcc.ver : undefined);
  if (!ver) throw new StepFailure('missing_version', 'payload has no valid schema version (ver)');
  let chosen = schemaVersions.find((s) => s.parts.every((x, i) => x === ver[i]));
  if (!chosen) {
    const same = schemaVersions.filter((s) => s.parts[0] === ver[0] && s.parts[1] === ver[1]).sort((a, b) => a.parts[2] - b.parts[2]);
    chosen = same[same.length - 1];
  }
  if (!chosen) throw new StepFailure('unknown_version', `no schema for version ${ver.join('.')}`);
  if (!chosen.validate(dcc)) {
    const errors = (chosen.validate.errors || []).slice(0, 8).map((e) => `${e.instancePath}: ${e.message}`);
    throw new StepFailure('invalid', `schema ${chosen.v} violated: ${errors.join('; ')}`, { version: chosen.v });
  }
  if (!exactlyOneGroup(dcc)) throw new StepFailure('entry_count', 'payload must hold exactly one of v, t, r');
  return chosen.v;
}

async function truncatedSha256(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return b64encode(new Uint8Array(await subtle.digest('SHA-256', buf)).slice(0, 16));
}

/** The UCI, COUNTRYCODEUCI and SIGNATURE hashes (revocation::hashes). */
export async function revocationHashes(dcc, alg, signature) {
  let entry;
  for (const k of ['v', 't', 'r']) {
    const g = dcc && typeof dcc === 'object' ? dcc[k] : undefined;
    if (Array.isArray(g) && g.length > 0) {
      entry = g[0];
      break;
    }
  }
  const str = (x) => (typeof x === 'string' ? x : null);
  const ci = entry && typeof entry === 'object' ? str(entry.ci) : null;
  const co = entry && typeof entry === 'object' ? str(entry.co) : null;
  const te = new TextEncoder();
  // ECDSA: r only, since (r, n - s) is a second valid signature made without the key.
  const signed = alg === 'ES256' && signature.length === 64 ? signature.slice(0, 32) : signature;
  return {
    UCI: ci === null ? null : await truncatedSha256(te.encode(ci)),
    COUNTRYCODEUCI: ci === null || co === null ? null : await truncatedSha256(te.encode(co), te.encode(ci)),
    SIGNATURE: await truncatedSha256(signed),
  };
}

function revokedKind(hashes, sets) {
  for (const kind of ['UCI', 'COUNTRYCODEUCI', 'SIGNATURE']) {
    if (hashes[kind] !== null && sets[kind].has(hashes[kind])) return kind;
  }
  return null;
}

const iso = (seconds) => new Date(seconds * 1000).toISOString();

function ruleApplies(rule, group, clockMs) {
  const wanted = { v: 'vaccination', t: 'test', r: 'recovery' }[group];
  const type = String(rule.CertificateType || '').toLowerCase();
  return (type === 'general' || type === wanted) && Date.parse(rule.ValidFrom) <= clockMs && clockMs <= Date.parse(rule.ValidTo);
}

function describe(rule, lang) {
  const list = Array.isArray(rule.Description) ? rule.Description : [];
  const pick = (l) => list.find((d) => String(d.lang).toLowerCase() === l);
  return { en: pick('en')?.desc ?? null, local: pick(lang)?.desc ?? pick('en')?.desc ?? null };
}

/** Business rules with the external parameters the Rust verifier passes (verify.rs run_rules). */
export function checkRules(rules, claims, kidB64, clockMs, country, valueSets, lang = 'da') {
  const group = exactlyOneGroup(claims.dcc);
  if (!group) return notRun();
  const issuer = claims.issuer ?? '';
  const external = { valueSets, validationClock: new Date(clockMs).toISOString(), countryCode: country, issuerCountryCode: issuer };
  if (claims.exp !== null) external.exp = iso(claims.exp);
  if (claims.iat !== null) external.iat = iso(claims.iat);
  if (kidB64 !== null) external.kid = kidB64;
  const data = { payload: claims.dcc, external };
  let count = 0;
  const failures = [];
  for (const rule of rules) {
    const relevant = rule.Type === 'Acceptance' || String(rule.Country || '').toLowerCase() === issuer.toLowerCase();
    if (!relevant || !ruleApplies(rule, group, clockMs)) continue;
    const d = describe(rule, lang);
    let error = null;
    let ok = false;
    if (String(rule.Engine || '').toUpperCase() === 'CERTLOGIC') {
      try {
        const r = evaluate(rule.Logic, data);
        if (typeof r === 'boolean') ok = r;
        else error = `rule gave a non-boolean result ${JSON.stringify(r)}`;
      } catch (e) {
        error = String(e.message || e);
      }
    } else {
      error = `engine ${JSON.stringify(rule.Engine)} is not CERTLOGIC`;
    }
    if (ok) count += 1;
    else failures.push({ identifier: rule.Identifier, description: d.en, local: d.local, error });
  }
  if (failures.length) return failed('rules', `${failures.length} business rule(s) not passed`, { failures });
  return passed(count);
}

// ---------- the pipelines ----------

function guard(steps, name, fn) {
  return Promise.resolve()
    .then(fn)
    .then(
      (v) => {
        steps[name] = passed(v === undefined ? null : v);
        return { ok: true, value: v };
      },
      (e) => {
        if (!(e instanceof StepFailure)) e = new StepFailure('internal', String(e && e.message ? e.message : e));
        steps[name] = failed(e.code, e.message, e.extra);
        return { ok: false };
      },
    );
}

function isValid(steps, decisive, optional) {
  const ok = (s) => s.status === 'passed' || (s.status === 'not_run' && s.detail === 'not_configured');
  return decisive.every((n) => steps[n].status === 'passed') && optional.every((n) => ok(steps[n]));
}

/**
 * Verifies a scanned text at `ctx.now` (ms since the epoch). ctx: {trust (prepareTrustList),
 * revocations (prepareRevocations, or null = not configured), rules (array; empty = not
 * configured), country ('DK'), valueSets, lang}. Returns {kind, valid, steps, holder, ...}.
 */
export async function verify(text, ctx) {
  const trimmed = String(text).trim();
  if (trimmed.startsWith('DK1:')) return verifyDomestic(trimmed, ctx);
  return verifyEu(trimmed, ctx);
}

async function transport(steps, text, prefix) {
  let rest = null;
  const body = await guard(steps, 'prefix', () => {
    rest = stripPrefix(text, prefix);
  });
  if (!body.ok) return null;
  let z = null;
  const decoded = await guard(steps, 'base45', () => {
    try {
      z = base45.decode(rest);
    } catch (e) {
      throw new StepFailure(e.kind || 'base45', e.message, { position: e.position });
    }
  });
  if (!decoded.ok) return null;
  let cose = null;
  const inflated = await guard(steps, 'inflate', async () => {
    cose = await inflate(z);
  });
  if (!inflated.ok) return null;
  let msg = null;
  const parsed = await guard(steps, 'cose', () => {
    msg = parseCose(cose);
    return msg.tagging;
  });
  return parsed.ok ? msg : null;
}

export async function verifyEu(text, ctx) {
  const steps = Object.fromEntries(EU_STEPS.map((n) => [n, notRun()]));
  const result = { kind: 'eu', steps, valid: false, holder: null, certificateType: null, expiresAt: null };
  const msg = await transport(steps, text, 'HC1:');
  if (!msg) return result;
  let claims = null;
  const cwt = await guard(steps, 'cwt', () => {
    claims = parseCwt(msg.payload);
  });
  if (!cwt.ok) return result;
  const kidB64 = msg.kid ? b64encode(msg.kid) : null;
  let signer = null;
  if (!msg.kid) {
    steps.kid = failed('missing', 'no kid in the protected or unprotected header');
  } else {
    const candidates = ctx.trust.byKid.get(kidB64) || [];
    if (!candidates.length) {
      steps.kid = failed('unknown', `no trusted certificate has kid ${kidB64}`, { kid: kidB64 });
    } else {
      steps.kid = passed(kidB64);
      await guard(steps, 'signature', async () => {
        const r = await checkSignature(msg, candidates);
        signer = r;
        return { kid: r.cert.kid, country: r.cert.country, algorithm: r.alg };
      });
    }
  }
  const clockMs = ctx.now;
  const clock = Math.floor(clockMs / 1000);
  if (signer) {
    await guard(steps, 'expiry', () => checkExpiry(claims, signer.cert, clock));
    await guard(steps, 'key_usage', () => {
      const t = exactlyOneGroup(claims.dcc);
      if (!t) throw new StepFailure('type_unclear', 'payload must hold exactly one of v, t, r');
      if (!signer.cert.allowed.has(t)) throw new StepFailure('not_allowed', `signing certificate is not allowed to sign ${t} certificates`, { type: t });
      return t;
    });
  }
  await guard(steps, 'schema', () => checkSchema(claims.dcc));
  if (!ctx.revocations) {
    steps.revocation = notRun('not_configured');
  } else {
    const hashes = await revocationHashes(claims.dcc, algorithmName(msg.alg), msg.signature);
    const kind = revokedKind(hashes, ctx.revocations);
    steps.revocation = kind ? failed('revoked', `revoked (${kind} hash listed)`, { hashType: kind }) : passed();
  }
  const rules = ctx.rules || [];
  steps.rules = rules.length
    ? checkRules(rules, claims, kidB64, clockMs, ctx.country || 'DK', ctx.valueSets || bundledValueSets, ctx.lang || 'da')
    : notRun('not_configured');
  result.valid = isValid(steps, EU_STEPS.slice(0, 9), ['schema', 'revocation', 'rules']);
  const dcc = claims.dcc && typeof claims.dcc === 'object' ? claims.dcc : {};
  const nam = dcc.nam && typeof dcc.nam === 'object' ? dcc.nam : {};
  result.holder = {
    familyName: typeof nam.fn === 'string' ? nam.fn : typeof nam.fnt === 'string' ? nam.fnt : null,
    givenName: typeof nam.gn === 'string' ? nam.gn : typeof nam.gnt === 'string' ? nam.gnt : null,
    dateOfBirth: typeof dcc.dob === 'string' ? dcc.dob : null,
  };
  result.certificateType = exactlyOneGroup(dcc);
  result.expiresAt = claims.exp;
  return result;
}

// ---------- the Danish domestic pass ----------
// "DK1:" + Base45(zlib(COSE_Sign1)), ES256, CWT {1 iss, 6 iat, 4 exp, -261 dkpass};
// dkpass {"v": "1.x.y", "l": 1 | 2, "nam": {fn, gn, fnt, gnt} and "dob" (level 2 only)}.

function dkContent(dkpass) {
  if (!(dkpass instanceof CborMap)) throw new StepFailure('missing_dkpass', 'CWT has no domestic pass claim (-261)');
  const fields = {};
  for (const [k, v] of dkpass.entries) {
    if (typeof k !== 'string') throw new StepFailure('bad_key', 'domestic pass has a non-text key');
    fields[k] = v;
  }
  const version = fields.v;
  if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) throw new StepFailure('version', 'unsupported domestic pass version');
  const level = fields.l;
  if (level !== 1n && level !== 2n) throw new StepFailure('level', 'domestic pass level must be 1 or 2');
  const hasNam = Object.hasOwn(fields, 'nam');
  const hasDob = Object.hasOwn(fields, 'dob');
  if (level === 1n) {
    if (hasNam || hasDob) throw new StepFailure('inconsistent', 'a level 1 pass must not carry name or birth date');
    return { level: 1, holder: null };
  }
  if (!hasNam || !hasDob) throw new StepFailure('inconsistent', 'a level 2 pass must carry name and birth date');
  if (!(fields.nam instanceof CborMap)) throw new StepFailure('inconsistent', 'nam is not a map');
  const nam = {};
  for (const [k, v] of fields.nam.entries) {
    if (typeof k !== 'string' || typeof v !== 'string') throw new StepFailure('inconsistent', 'nam fields must be text');
    nam[k] = v;
  }
  if (!nam.fn && !nam.gn) throw new StepFailure('inconsistent', 'nam has neither fn nor gn');
  if (typeof fields.dob !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(fields.dob)) throw new StepFailure('inconsistent', 'dob is not YYYY-MM-DD');
  return { level: 2, holder: { familyName: nam.fn ?? null, givenName: nam.gn ?? null, dateOfBirth: fields.dob } };
}

export async function verifyDomestic(text, ctx) {
  const steps = Object.fromEntries(DK_STEPS.map((n) => [n, notRun()]));
  const result = { kind: 'dk', steps, valid: false, holder: null, level: null, expiresAt: null };
  const msg = await transport(steps, text, 'DK1:');
  if (!msg) return result;
  let claims = null;
  const cwt = await guard(steps, 'cwt', () => {
    claims = parseClaims(msg.payload);
  });
  if (!cwt.ok) return result;
  const kidB64 = msg.kid ? b64encode(msg.kid) : null;
  let signer = null;
  if (!msg.kid) steps.kid = failed('missing', 'no kid in the protected or unprotected header');
  else {
    const candidates = ctx.trust.byKid.get(kidB64) || [];
    if (!candidates.length) steps.kid = failed('unknown', `no trusted certificate has kid ${kidB64}`, { kid: kidB64 });
    else {
      steps.kid = passed(kidB64);
      await guard(steps, 'signature', async () => {
        if (msg.alg !== ALG_ES256) throw new StepFailure('unsupported_algorithm', 'domestic passes are signed with ES256');
        signer = await checkSignature(msg, candidates);
        return { kid: signer.cert.kid, country: signer.cert.country, algorithm: 'ES256' };
      });
    }
  }
  if (signer) await guard(steps, 'expiry', () => checkExpiry(claims, signer.cert, Math.floor(ctx.now / 1000)));
  if (!ctx.revocations) steps.revocation = notRun('not_configured');
  else {
    const hash = await truncatedSha256(msg.signature.length === 64 ? msg.signature.slice(0, 32) : msg.signature);
    steps.revocation = ctx.revocations.SIGNATURE.has(hash) ? failed('revoked', 'revoked (SIGNATURE hash listed)', { hashType: 'SIGNATURE' }) : passed();
  }
  let content = null;
  await guard(steps, 'content', () => {
    content = dkContent(claims.dkpass);
    return content.level;
  });
  result.valid = isValid(steps, ['prefix', 'base45', 'inflate', 'cose', 'cwt', 'kid', 'signature', 'expiry', 'content'], ['revocation']);
  result.expiresAt = claims.exp;
  if (content) {
    result.level = content.level;
    result.holder = content.holder;
  }
  return result;
}
