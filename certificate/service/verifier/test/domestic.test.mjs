// The Danish domestic pass (DK1:), read to its spec, with passes signed here in WebCrypto.

import '../tools/node-webcrypto.mjs';
import test from 'node:test';
import assert from 'node:assert/strict';
import { verify, prepareTrustList, prepareRevocations } from '../js/verify.js';
import { reasonFor } from '../js/i18n.js';
import { makeDsc, domesticPass, signatureHash } from '../tools/testkit.mjs';

const NAM = { fn: 'Ærø', gn: 'Søren', fnt: 'AEROE', gnt: 'SOEREN' };
const dsc = await makeDsc();
const trust = await prepareTrustList({ certificates: [dsc.entry] });
const none = prepareRevocations({ kids: {} });
const ctx = (extra = {}) => ({ trust, revocations: none, rules: [], country: 'DK', now: Date.now(), ...extra });
const now = Math.floor(Date.now() / 1000);

function statuses(r) {
  return Object.fromEntries(Object.entries(r.steps).map(([k, s]) => [k, s.status]));
}

test('a level 2 pass is valid and shows name and birth date', async () => {
  const { text } = await domesticPass(dsc, { level: 2, nam: NAM, dob: '1970-01-01' });
  const r = await verify(text, ctx());
  assert.equal(r.kind, 'dk');
  assert.equal(r.valid, true, JSON.stringify(r.steps));
  assert.equal(r.level, 2);
  assert.deepEqual(r.holder, { familyName: 'Ærø', givenName: 'Søren', dateOfBirth: '1970-01-01' });
  assert.ok(Object.values(r.steps).every((s) => s.status === 'passed'));
});

test('a level 1 pass is valid, shows only "valid until", and no person', async () => {
  const exp = now + 3 * 86400;
  const { text } = await domesticPass(dsc, { level: 1, exp });
  const r = await verify(text, ctx());
  assert.equal(r.valid, true, JSON.stringify(r.steps));
  assert.equal(r.level, 1);
  assert.equal(r.holder, null);
  assert.equal(r.expiresAt, exp);
});

test('level and fields must agree', async () => {
  for (const [opts, why] of [
    [{ level: 1, nam: NAM }, 'level 1 with nam'],
    [{ level: 1, dob: '1970-01-01' }, 'level 1 with dob'],
    [{ level: 2, nam: NAM }, 'level 2 without dob'],
    [{ level: 2, dob: '1970-01-01' }, 'level 2 without nam'],
    [{ level: 2, nam: NAM, dob: '1970' }, 'dob not YYYY-MM-DD'],
    [{ level: 3 }, 'unknown level'],
    [{ level: 1, v: '2.0.0' }, 'unknown version'],
  ]) {
    const { text } = await domesticPass(dsc, opts);
    const r = await verify(text, ctx());
    assert.equal(r.valid, false, why);
    assert.equal(r.steps.content.status, 'failed', why);
    assert.equal(r.steps.signature.status, 'passed', why);
    assert.equal(reasonFor(r, 'en'), 'The pass’s contents are inconsistent.');
  }
});

test('expiry: expired, issued in the future, outliving the DSC', async () => {
  let r = await verify((await domesticPass(dsc, { level: 1, iat: now - 10 * 86400, exp: now - 60 })).text, ctx());
  assert.equal(r.steps.expiry.code, 'expired');
  assert.equal(r.valid, false);
  assert.equal(reasonFor(r, 'da'), 'Passet er udløbet.');
  r = await verify((await domesticPass(dsc, { level: 1, iat: now + 3600 })).text, ctx());
  assert.equal(r.steps.expiry.code, 'issued_in_future');
  r = await verify((await domesticPass(dsc, { level: 1, exp: dsc.entry.not_after + 1 })).text, ctx());
  assert.equal(r.steps.expiry.code, 'outlives_certificate');
  r = await verify((await domesticPass(dsc, { level: 1, iat: dsc.entry.not_before - 1 })).text, ctx());
  assert.equal(r.steps.expiry.code, 'issued_before_certificate');
});

test('revoked by the SIGNATURE hash (ECDSA r only)', async () => {
  const { text, signature } = await domesticPass(dsc, { level: 2, nam: NAM, dob: '1970-01-01' });
  const revocations = prepareRevocations({ kids: { [dsc.entry.kid]: { SIGNATURE: [await signatureHash(signature)] } } });
  const r = await verify(text, ctx({ revocations }));
  assert.equal(r.valid, false);
  assert.equal(r.steps.revocation.status, 'failed');
  assert.equal(reasonFor(r, 'en'), 'The pass has been revoked.');
});

test('an unknown signer, a forged signature and a wrong prefix fail at their step', async () => {
  const other = await makeDsc();
  let r = await verify((await domesticPass(other, { level: 1 })).text, ctx());
  assert.deepEqual([r.steps.kid.status, r.steps.signature.status, r.valid], ['failed', 'not_run', false]);

  // Same kid, other key: the signature does not verify.
  const forged = { ...other, kid: dsc.kid };
  r = await verify((await domesticPass(forged, { level: 1 })).text, ctx());
  assert.deepEqual([r.steps.kid.status, r.steps.signature.status, r.steps.expiry.status], ['passed', 'failed', 'not_run']);

  r = await verify((await domesticPass(dsc, { level: 1, prefix: 'DK2:' })).text, ctx());
  assert.equal(r.steps.prefix.status, 'failed');
  r = await verify('DK1:abc', ctx());
  assert.deepEqual(statuses(r).base45, 'failed');
  r = await verify('DK1:' + 'A'.repeat(30), ctx());
  assert.deepEqual([statuses(r).base45, statuses(r).inflate], ['passed', 'failed']);
});

test('an EU certificate claim is not a domestic pass', async () => {
  const { text } = await domesticPass(dsc, { level: 1, prefix: 'HC1:' });
  const r = await verify(text, ctx());
  assert.equal(r.kind, 'eu');
  assert.equal(r.steps.cwt.status, 'failed'); // no hcert claim
});
