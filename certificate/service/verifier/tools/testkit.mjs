// Test helpers for the Node tests: a development DSC made with WebCrypto and domestic
// (DK1:) passes signed with it, as the Rust issuer will make them (see the spec in
// certificate/service/README.md, "Venue verifier page").

import './node-webcrypto.mjs';
import { encode, Tag } from '../js/cbor.js';
import * as base45 from '../js/base45.js';
import { b64encode } from '../js/verify.js';

const subtle = globalThis.crypto.subtle;

function len(n) {
  if (n < 0x80) return [n];
  const out = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}
const tlv = (tag, body) => [tag, ...len(body.length), ...body];
const utc = (d) => [...new TextEncoder().encode(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z')];

/**
 * A structurally valid X.509 certificate around `spki` (the page reads only its
 * SubjectPublicKeyInfo; the trust list, not the certificate signature, is what it trusts).
 */
export function certificateAround(spki, notBefore, notAfter) {
  const ecdsaSha256 = tlv(0x30, tlv(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
  const name = tlv(0x30, tlv(0x31, tlv(0x30, [...tlv(0x06, [0x55, 0x04, 0x06]), ...tlv(0x13, [0x44, 0x4b])])));
  const tbs = tlv(0x30, [
    ...tlv(0xa0, tlv(0x02, [0x02])),
    ...tlv(0x02, [0x01]),
    ...ecdsaSha256,
    ...name,
    ...tlv(0x30, [...tlv(0x17, utc(notBefore)), ...tlv(0x17, utc(notAfter))]),
    ...name,
    ...spki,
  ]);
  return new Uint8Array(tlv(0x30, [...tbs, ...ecdsaSha256, ...tlv(0x03, [0x00, ...tlv(0x30, [...tlv(0x02, [1]), ...tlv(0x02, [1])])])]));
}

/** A DSC: key pair, certificate, kid, and its trust-list entry (the served format). */
export async function makeDsc({ notBefore = new Date(Date.now() - 30 * 86400e3), notAfter = new Date(Date.now() + 365 * 86400e3), types = ['t', 'v', 'r'] } = {}) {
  const keys = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = [...new Uint8Array(await subtle.exportKey('spki', keys.publicKey))];
  const der = certificateAround(spki, notBefore, notAfter);
  const kid = new Uint8Array(await subtle.digest('SHA-256', der)).slice(0, 8);
  const entry = {
    kid: b64encode(kid),
    country: 'DK',
    certificate: b64encode(der),
    allowed_types: types,
    not_before: Math.floor(notBefore.getTime() / 1000),
    not_after: Math.floor(notAfter.getTime() / 1000),
  };
  return { keys, der, kid, entry };
}

export async function deflate(bytes) {
  const cs = new CompressionStream('deflate');
  const w = cs.writable.getWriter();
  w.write(bytes);
  w.close();
  return new Uint8Array(await new Response(cs.readable).arrayBuffer());
}

/** Signs a COSE_Sign1 (tag 18, ES256) over `claims` (a Map of CWT claims). */
export async function signCose(dsc, claims, { kid = dsc.kid, alg = -7 } = {}) {
  const protectedBytes = encode(new Map([[1, alg], [4, kid]]));
  const payload = encode(claims);
  const tbs = encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const sig = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, dsc.keys.privateKey, tbs));
  return { cose: encode(new Tag(18n, [protectedBytes, new Map(), payload, sig])), signature: sig };
}

/** A domestic pass: "DK1:" + Base45(zlib(COSE_Sign1)) with the dkpass claim (-261). */
export async function domesticPass(dsc, { level = 2, iat, exp, nam, dob, v = '1.0.0', extra = {}, prefix = 'DK1:' } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const dkpass = { v, l: level, ...extra };
  if (nam !== undefined) dkpass.nam = nam;
  if (dob !== undefined) dkpass.dob = dob;
  const claims = new Map([
    [1, 'DK'],
    [6, iat ?? now - 3600],
    [4, exp ?? now + 7 * 86400],
    [-261, dkpass],
  ]);
  const { cose, signature } = await signCose(dsc, claims);
  return { text: prefix + base45.encode(await deflate(cose)), signature };
}

export async function signatureHash(signature) {
  const r = signature.length === 64 ? signature.slice(0, 32) : signature;
  return b64encode(new Uint8Array(await subtle.digest('SHA-256', r)).slice(0, 16));
}
