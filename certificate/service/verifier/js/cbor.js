// A small CBOR (RFC 8949) decoder for COSE and CWT, and the few encoders the Sig_structure
// and the tests need. Decoded values:
//   unsigned/negative integer → BigInt     byte string → Uint8Array   text → string
//   array → Array    map → CborMap (entries in order)    tag → Tag
//   float → number   true/false → boolean   null and undefined → null
// Byte strings are copied out as given, so the COSE protected header and payload keep
// their exact signed bytes (never re-encoded before verification).

export class CborError extends Error {}

export class CborMap {
  constructor(entries) {
    this.entries = entries;
  }
}

export class Tag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

const MAX_DEPTH = 256; // ciborium's default recursion limit
const BREAK = Symbol('break');
const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.p = 0;
  }
  need(n) {
    if (this.p + n > this.b.length) throw new CborError('unexpected end of input');
  }
  byte() {
    this.need(1);
    return this.b[this.p++];
  }
  take(n) {
    this.need(n);
    const out = this.b.slice(this.p, this.p + n);
    this.p += n;
    return out;
  }
  // The argument of a head: BigInt (lengths and integers can be 64-bit).
  argument(info) {
    if (info < 24) return BigInt(info);
    const len = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (len === undefined) throw new CborError(`invalid additional information ${info}`);
    let v = 0n;
    for (const x of this.take(len)) v = (v << 8n) | BigInt(x);
    return v;
  }
  length(info) {
    const v = this.argument(info);
    if (v > BigInt(this.b.length)) throw new CborError('length exceeds input');
    return Number(v);
  }
  chunks(major) {
    const parts = [];
    for (;;) {
      const head = this.byte();
      if (head === 0xff) break;
      if (head >> 5 !== major || (head & 31) === 31) throw new CborError('invalid indefinite-length string chunk');
      parts.push(this.take(this.length(head & 31)));
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  text(bytes) {
    try {
      return utf8.decode(bytes);
    } catch {
      throw new CborError('invalid UTF-8 in a text string');
    }
  }
  item(depth) {
    if (depth > MAX_DEPTH) throw new CborError('nesting too deep');
    const head = this.byte();
    const major = head >> 5;
    const info = head & 31;
    switch (major) {
      case 0:
        return this.argument(info);
      case 1:
        return -1n - this.argument(info);
      case 2:
        return info === 31 ? this.chunks(2) : this.take(this.length(info));
      case 3:
        return this.text(info === 31 ? this.chunks(3) : this.take(this.length(info)));
      case 4: {
        const out = [];
        if (info === 31) {
          for (;;) {
            const v = this.item(depth + 1);
            if (v === BREAK) break;
            out.push(v);
          }
        } else {
          const n = this.length(info);
          for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
        }
        return out;
      }
      case 5: {
        const entries = [];
        if (info === 31) {
          for (;;) {
            const k = this.item(depth + 1);
            if (k === BREAK) break;
            entries.push([k, this.value(depth + 1)]);
          }
        } else {
          const n = this.length(info);
          for (let i = 0; i < n; i++) entries.push([this.value(depth + 1), this.value(depth + 1)]);
        }
        return new CborMap(entries);
      }
      case 6: {
        const tag = this.argument(info);
        return new Tag(tag, this.value(depth + 1));
      }
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) return half(this.take(2));
        if (info === 26) return new DataView(this.take(4).buffer).getFloat32(0);
        if (info === 27) return new DataView(this.take(8).buffer).getFloat64(0);
        if (info === 31) return BREAK;
        throw new CborError(`unsupported simple value ${info}`);
      }
    }
  }
  value(depth) {
    const v = this.item(depth);
    if (v === BREAK) throw new CborError('unexpected break');
    return v;
  }
}

function half(b) {
  const h = (b[0] << 8) | b[1];
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (mant + 1024) * 2 ** (exp - 25);
}

/** Decodes one item; returns it and the number of bytes it took. */
export function decodeFirst(bytes) {
  const r = new Reader(bytes);
  const value = r.value(0);
  return { value, consumed: r.p };
}

/** The value under an integer label in a CborMap (the first one, as coset and ciborium find it). */
export function mapGet(map, label) {
  for (const [k, v] of map.entries) if (typeof k === 'bigint' && k === BigInt(label)) return v;
  return undefined;
}

// --- encoding (Sig_structure and the tests' own passes) ---

function head(major, n) {
  const v = BigInt(n);
  if (v < 24n) return [(major << 5) | Number(v)];
  if (v < 0x100n) return [(major << 5) | 24, Number(v)];
  if (v < 0x10000n) return [(major << 5) | 25, Number(v >> 8n), Number(v & 0xffn)];
  if (v < 0x100000000n) return [(major << 5) | 26, ...[24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn))];
  return [(major << 5) | 27, ...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn))];
}

/** Encodes a value (BigInt/number integers, strings, Uint8Array, arrays, Map/CborMap/plain objects, Tag, booleans, null). */
export function encode(value) {
  const out = [];
  const put = (v) => {
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
      const b = BigInt(v);
      out.push(...(b >= 0n ? head(0, b) : head(1, -1n - b)));
    } else if (typeof v === 'string') {
      const t = new TextEncoder().encode(v);
      out.push(...head(3, t.length), ...t);
    } else if (v instanceof Uint8Array) {
      out.push(...head(2, v.length), ...v);
    } else if (Array.isArray(v)) {
      out.push(...head(4, v.length));
      v.forEach(put);
    } else if (v instanceof Tag) {
      out.push(...head(6, v.tag));
      put(v.value);
    } else if (v instanceof CborMap || v instanceof Map) {
      const entries = v instanceof Map ? [...v.entries()] : v.entries;
      out.push(...head(5, entries.length));
      for (const [k, x] of entries) {
        put(k);
        put(x);
      }
    } else if (v === true || v === false) {
      out.push(v ? 0xf5 : 0xf4);
    } else if (v === null) {
      out.push(0xf6);
    } else if (typeof v === 'object') {
      put(new Map(Object.entries(v)));
    } else {
      throw new CborError(`cannot encode ${typeof v}`);
    }
  };
  put(value);
  return new Uint8Array(out);
}
