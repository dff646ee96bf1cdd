// zlib (RFC 1950) + DEFLATE (RFC 1951) decoder, hand-written so the page behaves the same
// in every browser and in Node, and exactly like codec::Inflater on the Rust side: any
// valid zlib header, Adler-32 checked, bytes after the stream's end ignored, output capped.
// (Browsers' DecompressionStream refuses trailing bytes; Node's accepts them.) The
// Huffman decoding follows zlib's own reference decoder, puff.c, including its rules on
// incomplete codes.

export class InflateError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code; // 'corrupt' | 'truncated' | 'too_large'
  }
}

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAXBITS = 15;

const corrupt = (m) => new InflateError('corrupt', `not valid zlib data: ${m}`);

class State {
  constructor(input, limit) {
    this.in = input;
    this.pos = 0;
    this.bitbuf = 0;
    this.bitcnt = 0;
    this.limit = limit;
    this.out = new Uint8Array(Math.max(1, Math.min(limit, Math.max(1024, input.length * 4))));
    this.n = 0;
  }
  bits(need) {
    let val = this.bitbuf;
    while (this.bitcnt < need) {
      if (this.pos >= this.in.length) throw new InflateError('truncated', 'zlib stream is truncated');
      val |= this.in[this.pos++] << this.bitcnt;
      this.bitcnt += 8;
    }
    this.bitbuf = val >>> need;
    this.bitcnt -= need;
    return val & ((1 << need) - 1);
  }
  put(byte) {
    if (this.n >= this.limit) throw new InflateError('too_large', `inflated data exceeds the ${this.limit}-byte cap`);
    if (this.n >= this.out.length) {
      const bigger = new Uint8Array(Math.min(this.limit, this.out.length * 2));
      bigger.set(this.out);
      this.out = bigger;
    }
    this.out[this.n++] = byte;
  }
}

// Canonical Huffman code from lengths: {count[len], symbol[]} (puff.c construct).
// Returns [code, left]: left 0 = complete, > 0 incomplete, < 0 over-subscribed.
function construct(lengths) {
  const count = new Uint16Array(MAXBITS + 1);
  for (const l of lengths) count[l]++;
  const h = { count, symbol: new Uint16Array(lengths.length) };
  if (count[0] === lengths.length) return [h, 0];
  let left = 1;
  for (let len = 1; len <= MAXBITS; len++) {
    left <<= 1;
    left -= count[len];
    if (left < 0) return [h, left];
  }
  const offs = new Uint16Array(MAXBITS + 1);
  for (let len = 1; len < MAXBITS; len++) offs[len + 1] = offs[len] + count[len];
  lengths.forEach((l, sym) => {
    if (l !== 0) h.symbol[offs[l]++] = sym;
  });
  return [h, left];
}

function decode(s, h) {
  let code = 0;
  let first = 0;
  let index = 0;
  for (let len = 1; len <= MAXBITS; len++) {
    code |= s.bits(1);
    const count = h.count[len];
    if (code - count < first) return h.symbol[index + (code - first)];
    index += count;
    first += count;
    first <<= 1;
    code <<= 1;
  }
  throw corrupt('invalid Huffman code');
}

function codes(s, lencode, distcode) {
  for (;;) {
    let sym = decode(s, lencode);
    if (sym < 256) s.put(sym);
    else if (sym === 256) return;
    else {
      sym -= 257;
      if (sym >= 29) throw corrupt('invalid literal/length code');
      const len = LEN_BASE[sym] + s.bits(LEN_EXTRA[sym]);
      const dsym = decode(s, distcode);
      if (dsym >= 30) throw corrupt('invalid distance code');
      const dist = DIST_BASE[dsym] + s.bits(DIST_EXTRA[dsym]);
      if (dist > s.n) throw corrupt('invalid distance too far back');
      for (let i = 0; i < len; i++) s.put(s.out[s.n - dist]);
    }
  }
}

let fixedCodes = null;
function fixed() {
  if (!fixedCodes) {
    const lengths = new Array(288);
    for (let i = 0; i < 288; i++) lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    fixedCodes = [construct(lengths)[0], construct(new Array(30).fill(5))[0]];
  }
  return fixedCodes;
}

function dynamic(s) {
  const nlen = s.bits(5) + 257;
  const ndist = s.bits(5) + 1;
  const ncode = s.bits(4) + 4;
  if (nlen > 286 || ndist > 30) throw corrupt('too many length or distance symbols');
  const cl = new Array(19).fill(0);
  for (let i = 0; i < ncode; i++) cl[ORDER[i]] = s.bits(3);
  const [lencodeCodes, clLeft] = construct(cl);
  if (clLeft !== 0) throw corrupt('invalid code lengths set');
  const lengths = [];
  while (lengths.length < nlen + ndist) {
    const sym = decode(s, lencodeCodes);
    if (sym < 16) lengths.push(sym);
    else {
      let len = 0;
      let rep;
      if (sym === 16) {
        if (lengths.length === 0) throw corrupt('invalid bit length repeat');
        len = lengths[lengths.length - 1];
        rep = 3 + s.bits(2);
      } else if (sym === 17) rep = 3 + s.bits(3);
      else rep = 11 + s.bits(7);
      if (lengths.length + rep > nlen + ndist) throw corrupt('invalid bit length repeat');
      for (let i = 0; i < rep; i++) lengths.push(len);
    }
  }
  if (lengths[256] === 0) throw corrupt('invalid code -- missing end-of-block');
  const litLengths = lengths.slice(0, nlen);
  const distLengths = lengths.slice(nlen);
  const [lencode, lenLeft] = construct(litLengths);
  // Incomplete codes are only allowed for a single length-1 code (puff.c, zlib).
  if (lenLeft < 0 || (lenLeft > 0 && nlen - lencode.count[0] !== 1)) throw corrupt('invalid literal/lengths set');
  const [distcode, distLeft] = construct(distLengths);
  if (distLeft < 0 || (distLeft > 0 && ndist - distcode.count[0] !== 1)) throw corrupt('invalid distances set');
  codes(s, lencode, distcode);
}

function stored(s) {
  s.bitbuf = 0;
  s.bitcnt = 0;
  if (s.pos + 4 > s.in.length) throw new InflateError('truncated', 'zlib stream is truncated');
  const len = s.in[s.pos] | (s.in[s.pos + 1] << 8);
  const nlen = s.in[s.pos + 2] | (s.in[s.pos + 3] << 8);
  s.pos += 4;
  if (len !== (~nlen & 0xffff)) throw corrupt('invalid stored block lengths');
  if (s.pos + len > s.in.length) throw new InflateError('truncated', 'zlib stream is truncated');
  for (let i = 0; i < len; i++) s.put(s.in[s.pos++]);
}

function adler32(bytes, n) {
  let a = 1;
  let b = 0;
  for (let i = 0; i < n; i++) {
    a = (a + bytes[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Inflates a complete zlib stream; throws InflateError. */
export function inflateZlib(input, limit) {
  if (input.length < 2) throw new InflateError('truncated', 'zlib stream is truncated');
  const cmf = input[0];
  const flg = input[1];
  if ((cmf * 256 + flg) % 31 !== 0) throw corrupt('incorrect header check');
  if ((cmf & 0x0f) !== 8) throw corrupt('unknown compression method');
  if (cmf >> 4 > 7) throw corrupt('invalid window size');
  if (flg & 0x20) throw corrupt('a preset dictionary is required');
  const s = new State(input, limit);
  s.pos = 2;
  let last = 0;
  while (!last) {
    last = s.bits(1);
    const type = s.bits(2);
    if (type === 0) stored(s);
    else if (type === 1) codes(s, ...fixed());
    else if (type === 2) dynamic(s);
    else throw corrupt('invalid block type');
  }
  // The Adler-32 trailer starts at the next byte boundary; anything after it is ignored.
  if (s.pos + 4 > input.length) throw new InflateError('truncated', 'zlib stream is truncated');
  const want = ((input[s.pos] << 24) | (input[s.pos + 1] << 16) | (input[s.pos + 2] << 8) | input[s.pos + 3]) >>> 0;
  if (adler32(s.out, s.n) !== want) throw corrupt('incorrect data check');
  return s.out.slice(0, s.n);
}
