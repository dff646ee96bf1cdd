// vendor/ is exactly what tools/vendor.mjs makes from the package-lock'd npm install and
// the shared schema and value-set data: nobody hand-edited a vendored file.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('vendor/ regenerates byte for byte', () => {
  const r = spawnSync(process.execPath, ['tools/vendor.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});
