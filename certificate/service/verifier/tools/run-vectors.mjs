// Runs the page's verifier (js/verify.js) over a JSON file of inputs and writes the
// per-step statuses, for the Rust cross-check (certificate/service/tests/api/verifier_page.rs).
//
//   node tools/run-vectors.mjs inputs.json outputs.json
//
// inputs:  {"cases": [{"id", "text", "trust_list", "revocations", "rules", "clock", "country"}]}
// outputs: {"results": [{"id", "kind", "valid", "steps": {step: {"status", "detail"?}}}]}
// (`detail` only for not_run: earlier_step_failed or not_configured). No personal data is
// written: statuses only.

import './node-webcrypto.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { verify, prepareTrustList, prepareRevocations } from '../js/verify.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node tools/run-vectors.mjs inputs.json outputs.json');
  process.exit(2);
}
const { cases } = JSON.parse(readFileSync(input, 'utf8'));
const results = [];
for (const c of cases) {
  const now = Date.parse(c.clock);
  if (Number.isNaN(now)) throw new Error(`${c.id}: bad clock ${c.clock}`);
  const ctx = {
    trust: await prepareTrustList(c.trust_list),
    revocations: c.revocations ? prepareRevocations(c.revocations) : null,
    rules: c.rules || [],
    country: c.country || 'DK',
    now,
  };
  let r;
  try {
    r = await verify(c.text, ctx);
  } catch (e) {
    // A throw is a bug in the verifier: report it so the cross-check fails loudly.
    results.push({ id: c.id, error: String(e && e.stack ? e.stack : e) });
    continue;
  }
  const steps = {};
  for (const [name, s] of Object.entries(r.steps)) {
    steps[name] = s.status === 'not_run' ? { status: s.status, detail: s.detail } : { status: s.status };
  }
  results.push({ id: c.id, kind: r.kind, valid: r.valid, steps });
}
writeFileSync(output, JSON.stringify({ results }));
