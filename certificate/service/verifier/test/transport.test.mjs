// Transport layers: Base45 (RFC 9285 examples and error cases, as base45.rs), the inflate cap.

import '../tools/node-webcrypto.mjs';
import test from 'node:test';
import assert from 'node:assert/strict';
import * as base45 from '../js/base45.js';
import { inflate, MAX_INFLATED, parseCose } from '../js/verify.js';
import { deflate } from '../tools/testkit.mjs';

const text = (b) => new TextDecoder().decode(b);

test('Base45 RFC 9285 examples', () => {
  assert.equal(base45.encode(new TextEncoder().encode('AB')), 'BB8');
  assert.equal(base45.encode(new TextEncoder().encode('Hello!!')), '%69 VD92EX0');
  assert.equal(base45.encode(new TextEncoder().encode('base-45')), 'UJCLQE7W581');
  assert.equal(text(base45.decode('QED8WEX0')), 'ietf!');
  assert.equal(base45.decode('').length, 0);
});

test('Base45 rejects what base45.rs rejects, at the same position', () => {
  const err = (s) => {
    try {
      base45.decode(s);
    } catch (e) {
      return [e.kind, e.position];
    }
    return null;
  };
  assert.deepEqual(err('GGW'), ['overflow', 0]);
  assert.deepEqual(err('ZZZZ'), ['length', 4]);
  assert.deepEqual(err('bb8'), ['character', 0]);
  assert.deepEqual(err('::'), ['overflow', 0]);
  assert.deepEqual(err('BB8ÆA'), ['character', 3]);
});

test('inflate caps the output like codec::DEFAULT_MAX_INFLATED', async () => {
  const ok = new Uint8Array(MAX_INFLATED).fill(97);
  assert.equal((await inflate(await deflate(ok))).length, MAX_INFLATED);
  const bomb = await deflate(new Uint8Array(MAX_INFLATED + 1));
  await assert.rejects(inflate(bomb), (e) => e.code === 'too_large');
  await assert.rejects(inflate(new Uint8Array([0xd2, 0x84])), (e) => e.code === 'corrupt');
  // Trailing bytes after the stream are ignored, as flate2 does (browsers' own
  // DecompressionStream would refuse them).
  const z = await deflate(new Uint8Array([1, 2, 3]));
  assert.deepEqual(await inflate(new Uint8Array([...z, 0xff])), new Uint8Array([1, 2, 3]));
});

test('COSE tags: 98 is refused, trailing bytes are refused', () => {
  assert.throws(() => parseCose(new Uint8Array([0xd8, 0x62, 0x80])), (e) => e.code === 'tag');
  assert.throws(() => parseCose(new Uint8Array([0x80])), (e) => e.code === 'structure');
  assert.throws(() => parseCose(new Uint8Array([0xff])), (e) => e.code === 'cbor');
  assert.throws(() => parseCose(new Uint8Array([0x80, 0x00])), (e) => e.code === 'trailing');
});
