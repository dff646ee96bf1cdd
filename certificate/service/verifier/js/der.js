// Just enough DER (X.690) to find a DSC's SubjectPublicKeyInfo: a lenient walk over
// Certificate → tbsCertificate → subjectPublicKeyInfo, like x509-parser's use in
// certificate/src/trust.rs. Never throws past `publicKeyOf`, which reports what it found.

function tlv(b, p) {
  if (p + 2 > b.length) throw new Error('DER: truncated');
  const tag = b[p];
  let len = b[p + 1];
  let q = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || q + n > b.length) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[q + i];
    q += n;
  }
  if (q + len > b.length) throw new Error('DER: length past end');
  return { tag, start: p, content: q, end: q + len };
}

function children(b, node) {
  const out = [];
  for (let p = node.content; p < node.end; ) {
    const c = tlv(b, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function oidString(bytes) {
  const parts = [];
  let v = 0n;
  for (const x of bytes) {
    v = (v << 7n) | BigInt(x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0n;
    }
  }
  if (!parts.length) return '';
  const first = parts[0];
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...parts.slice(1)].join('.');
}

const OID_EC = '1.2.840.10045.2.1';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_RSA_PSS = '1.2.840.113549.1.1.10';

/**
 * The DSC's key in the forms the signature check needs (as trust.rs's PublicKey):
 * {kind: 'p256', point} (65-byte uncompressed point), {kind: 'rsa', pkcs1} or
 * {kind: 'unsupported', what}.
 */
export function publicKeyOf(der) {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.content);
    let fields = children(der, tbs);
    if (fields[0] && fields[0].tag === 0xa0) fields = fields.slice(1); // [0] version
    const spki = fields[5]; // serial, signature, issuer, validity, subject, spki
    if (!spki || spki.tag !== 0x30) return { kind: 'unsupported', what: 'no SubjectPublicKeyInfo' };
    const [alg, bits] = children(der, spki);
    const [oid, params] = children(der, alg);
    const algOid = oidString(der.subarray(oid.content, oid.end));
    // BIT STRING content: one "unused bits" byte, then the key.
    const key = der.slice(bits.content + 1, bits.end);
    if (algOid === OID_EC) {
      const curve = params && params.tag === 0x06 ? oidString(der.subarray(params.content, params.end)) : '';
      return curve === OID_P256 ? { kind: 'p256', point: key } : { kind: 'unsupported', what: `EC curve ${curve}` };
    }
    if (algOid === OID_RSA || algOid === OID_RSA_PSS) return { kind: 'rsa', pkcs1: key };
    return { kind: 'unsupported', what: algOid };
  } catch (e) {
    return { kind: 'unsupported', what: String(e.message || e) };
  }
}

function derLength(n) {
  if (n < 0x80) return [n];
  const out = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

/** An rsaEncryption SubjectPublicKeyInfo around a PKCS#1 key (WebCrypto imports only that form). */
export function rsaSpki(pkcs1) {
  const alg = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
  const bitString = [0x03, ...derLength(pkcs1.length + 1), 0x00, ...pkcs1];
  const body = [...alg, ...bitString];
  return new Uint8Array([0x30, ...derLength(body.length), ...body]);
}
