// Makes a development DSC and two Danish domestic passes (DK1:, level 1 and level 2)
// signed with it in WebCrypto, for the browser test: the service publishes the DSC
// (signing.extra_trusted_dsc_paths) and the page must read the passes.
//
//   node tools/make-domestic.mjs OUT_DIR   → OUT_DIR/dsc.der, OUT_DIR/passes.json

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDsc, domesticPass } from './testkit.mjs';

const out = process.argv[2];
if (!out) {
  console.error('usage: node tools/make-domestic.mjs OUT_DIR');
  process.exit(2);
}
const dsc = await makeDsc();
const now = Math.floor(Date.now() / 1000);
const level1Exp = now + 2 * 86400;
const level1 = await domesticPass(dsc, { level: 1, exp: level1Exp });
const level2 = await domesticPass(dsc, { level: 2, nam: { fn: 'Blixen', gn: 'Karen', fnt: 'BLIXEN', gnt: 'KAREN' }, dob: '1985-04-17' });
const inconsistent = await domesticPass(dsc, { level: 1, dob: '1985-04-17' });
writeFileSync(join(out, 'dsc.der'), dsc.der);
writeFileSync(
  join(out, 'passes.json'),
  JSON.stringify({ level1: level1.text, level1_exp: level1Exp, level2: level2.text, inconsistent: inconsistent.text }),
);
