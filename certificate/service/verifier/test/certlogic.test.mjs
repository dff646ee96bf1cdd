// The vendored certlogic-js against CertLogic's own test suite and the EU business-rule
// tests (shared/testdata/certlogic/testSuite, shared/testdata/business-rules/*/*/tests),
// the same data certlogic's Rust tests run. Upstream's "skip" directives are honoured and
// reported as skipped, never counted as passed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../vendor/certlogic.js';

const here = dirname(fileURLToPath(import.meta.url));
const local = join(here, '../../../../../shared/testdata');
const shared = existsSync(local) ? local : '/work/shared/testdata';

// Numbers compare by value (1.0 equals 1), as certlogic's json_equal.
function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
  }
  return a === b;
}

test('certlogic-js passes the CertLogic test suite', () => {
  const dir = join(shared, 'certlogic/testSuite');
  let passed = 0;
  let skipped = 0;
  const failures = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const suite = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    for (const c of suite.cases || []) {
      for (const [i, a] of (c.assertions || []).entries()) {
        if (suite.directive === 'skip' || c.directive === 'skip' || a.directive === 'skip') {
          skipped += 1;
          continue;
        }
        const expr = a.certLogicExpression !== undefined ? a.certLogicExpression : c.certLogicExpression;
        try {
          const got = evaluate(expr, a.data);
          if (same(got, a.expected)) passed += 1;
          else failures.push(`${file} ${c.name} #${i}: expected ${JSON.stringify(a.expected)}, got ${JSON.stringify(got)}`);
        } catch (e) {
          failures.push(`${file} ${c.name} #${i}: threw ${e.message}`);
        }
      }
    }
  }
  console.log(`certlogic test suite: ${passed} passed, ${failures.length} failed, ${skipped} skipped (upstream "skip")`);
  assert.ok(passed > 200, `only ${passed} assertions ran`);
  assert.deepEqual(failures, []);
});

test('certlogic-js passes the business-rule tests', () => {
  const root = join(shared, 'business-rules');
  let passed = 0;
  const failures = [];
  const ruleDirs = [];
  for (const country of readdirSync(root).sort()) {
    const cdir = join(root, country);
    if (!statSync(cdir).isDirectory()) continue;
    for (const id of readdirSync(cdir).sort()) {
      if (existsSync(join(cdir, id, 'rule.json')) && existsSync(join(cdir, id, 'tests'))) ruleDirs.push(join(cdir, id));
    }
  }
  for (const dir of ruleDirs) {
    const rule = JSON.parse(readFileSync(join(dir, 'rule.json'), 'utf8'));
    for (const f of readdirSync(join(dir, 'tests')).filter((n) => n.endsWith('.json')).sort()) {
      const doc = JSON.parse(readFileSync(join(dir, 'tests', f), 'utf8'));
      for (const [i, t] of (Array.isArray(doc) ? doc : [doc]).entries()) {
        try {
          const got = evaluate(rule.Logic, { payload: t.payload, external: t.external || {} });
          if (same(got, t.expected)) passed += 1;
          else failures.push(`${rule.Identifier} ${f} #${i}: expected ${JSON.stringify(t.expected)}, got ${JSON.stringify(got)}`);
        } catch (e) {
          failures.push(`${rule.Identifier} ${f} #${i}: threw ${e.message}`);
        }
      }
    }
  }
  console.log(`business-rule tests: ${ruleDirs.length} rules, ${passed} passed, ${failures.length} failed`);
  assert.ok(ruleDirs.length > 20 && passed > 100, `${ruleDirs.length} rules, ${passed} tests`);
  assert.deepEqual(failures, []);
});
