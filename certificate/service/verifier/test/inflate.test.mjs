// The hand-written zlib decoder against Node's zlib, and the cases where it must behave as
// codec::Inflater: trailing bytes ignored, Adler-32 and header checked, output capped.

import test from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, constants } from 'node:zlib';
import { inflateZlib } from '../js/inflate.js';

function sample(n, seed) {
  // Text-like bytes with repeats, so every block type and long matches occur.
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
  const words = ['URN:UVCI:01:DK:', 'EU/1/20/1528', 'ORG-100030215', 'Søren', 'Ærø', '1119349007', '2021-', '"ver":"1.3.0"'];
  const out = [];
  while (out.length < n) {
    if (rnd() < 0.3) out.push(Math.floor(rnd() * 256));
    else out.push(...new TextEncoder().encode(words[Math.floor(rnd() * words.length)]));
  }
  return new Uint8Array(out.slice(0, n));
}

test('inflates what zlib deflates, at every level and strategy', () => {
  let cases = 0;
  for (const n of [0, 1, 100, 400, 5000, 40000]) {
    for (const level of [0, 1, 6, 9]) {
      for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE]) {
        const data = sample(n, n + level * 7 + strategy);
        const z = deflateSync(data, { level, strategy });
        assert.deepEqual(inflateZlib(new Uint8Array(z), 64 * 1024), data, `n=${n} level=${level} strategy=${strategy}`);
        cases += 1;
      }
    }
  }
  assert.equal(cases, 96);
});

test('behaves as codec::Inflater on the edges', () => {
  const data = sample(2000, 1);
  const z = new Uint8Array(deflateSync(data));
  // Bytes after the Adler-32 trailer are ignored (flate2 stops at the stream end).
  assert.deepEqual(inflateZlib(new Uint8Array([...z, 1, 2, 3]), 1 << 16), data);
  const code = (f) => {
    try {
      f();
    } catch (e) {
      return e.code;
    }
    return 'ok';
  };
  const badAdler = z.slice();
  badAdler[badAdler.length - 1] ^= 1;
  assert.equal(code(() => inflateZlib(badAdler, 1 << 16)), 'corrupt');
  assert.equal(code(() => inflateZlib(z.slice(0, z.length - 2), 1 << 16)), 'truncated');
  assert.equal(code(() => inflateZlib(z.slice(0, 10), 1 << 16)), 'truncated');
  assert.equal(code(() => inflateZlib(new Uint8Array([0x78, 0x9d]), 1 << 16)), 'corrupt'); // header check
  assert.equal(code(() => inflateZlib(new Uint8Array([0x78, 0xbb, 0, 0, 0, 1]), 1 << 16)), 'corrupt'); // FDICT
  assert.equal(code(() => inflateZlib(new Uint8Array([0x79, 0x9c]), 1 << 16)), 'corrupt'); // method 9
  assert.equal(code(() => inflateZlib(new Uint8Array([0x78, 0x9c, 0x07]), 1 << 16)), 'corrupt'); // block type 3
  assert.equal(code(() => inflateZlib(new Uint8Array(), 1 << 16)), 'truncated');
  // The cap: exactly the limit passes, one byte more does not.
  assert.equal(inflateZlib(new Uint8Array(deflateSync(new Uint8Array(1000))), 1000).length, 1000);
  assert.equal(code(() => inflateZlib(new Uint8Array(deflateSync(new Uint8Array(1001))), 1000)), 'too_large');
  assert.equal(code(() => inflateZlib(new Uint8Array(deflateSync(new Uint8Array(1001), { level: 0 })), 1000)), 'too_large');
});
