// Base45 (RFC 9285), hand-written with the same error cases as certificate/src/base45.rs:
// invalid character, lone trailing character (length % 3 == 1), group out of range.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export class Base45Error extends Error {
  constructor(kind, position, message) {
    super(message);
    this.kind = kind;
    this.position = position;
  }
}

/** Decodes Base45 text (strict: only the 45 alphabet characters, RFC 9285 §4.2). */
export function decode(text) {
  // Positions count bytes in Rust; measure in UTF-8 bytes so errors name the same offset.
  const input = new TextEncoder().encode(text);
  if (input.length % 3 === 1) {
    throw new Base45Error('length', input.length, `invalid Base45 length ${input.length}: a lone trailing character`);
  }
  const out = new Uint8Array(Math.floor(input.length / 3) * 2 + (input.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let pos = 0; pos < input.length; pos += 3) {
    const n = Math.min(3, input.length - pos);
    let value = 0;
    let factor = 1;
    for (let k = 0; k < n; k++) {
      const c = input[pos + k];
      const digit = c < 128 ? DECODE[c] : -1;
      if (digit < 0) throw new Base45Error('character', pos + k, `invalid Base45 character at position ${pos + k}`);
      value += digit * factor;
      factor *= 45;
    }
    if (n === 3) {
      if (value > 0xffff) throw new Base45Error('overflow', pos, `Base45 group at position ${pos} is out of range`);
      out[o++] = value >> 8;
      out[o++] = value & 0xff;
    } else {
      if (value > 0xff) throw new Base45Error('overflow', pos, `Base45 group at position ${pos} is out of range`);
      out[o++] = value;
    }
  }
  return out;
}

/** Encodes bytes as Base45 (RFC 9285 §4.1); used by the tests that sign domestic passes. */
export function encode(bytes) {
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = bytes[i] * 256 + bytes[i + 1];
    s += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45) % 45] + ALPHABET[Math.floor(n / 2025)];
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1];
    s += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
  }
  return s;
}
