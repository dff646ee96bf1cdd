// Regenerates vendor/ from the package-lock'd npm install (run `npm ci` first) and the
// shared DCC schema and value-set data. Dev-time only: the outputs are committed and
// embedded into the pass-service binary, so nothing is downloaded at cargo build time.
//
//   node tools/vendor.mjs [--schemas DIR] [--value-sets DIR] [--check]
//
// --check writes nothing and exits 1 when a committed file differs from what the locked
// packages and the data give (the Node tests run it).
//
// vendor/certlogic.js   certlogic-js (the EU's CertLogic evaluator) as one ES module
// vendor/jsqr.js        jsQR (QR decoding from camera frames and photos) as one ES module
// vendor/dcc-schemas.js Ajv *standalone* validators, one per DCC schema version (no Ajv at
//                       run time, no eval: the page's CSP forbids 'unsafe-eval')
// vendor/valuesets.js   the EU value sets as {id: [codes]} for the rules' external.valueSets

import { readFileSync, writeFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const esbuild = require('esbuild');
const Ajv2020 = require('ajv/dist/2020').default;
const standaloneCode = require('ajv/dist/standalone').default;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const shared = existsSync(join(root, '../../../../shared/testdata'))
  ? join(root, '../../../../shared/testdata')
  : '/work/shared/testdata';
const schemaDir = arg('--schemas', join(shared, 'dcc-schema'));
const valueSetDir = arg('--value-sets', join(shared, 'dcc-valuesets'));
const vendor = join(root, 'vendor');
const check = process.argv.includes('--check');
const stale = [];

function emit(file, text) {
  const path = join(vendor, file);
  if (!check) return writeFileSync(path, text);
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(file);
}

function pkgVersion(name) {
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

function bundle(entryContents, outFile, banner) {
  const result = esbuild.buildSync({
    stdin: { contents: entryContents, resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: false,
    legalComments: 'inline',
    write: false,
    nodePaths: [join(root, 'node_modules')],
    banner: { js: banner },
  });
  emit(outFile, result.outputFiles[0].text);
}

// certlogic-js and jsQR, bundled as ES modules.
bundle(
  "export { evaluate } from 'certlogic-js';",
  'certlogic.js',
  `// certlogic-js ${pkgVersion('certlogic-js')} (Apache-2.0), bundled by tools/vendor.mjs. Do not edit.`,
);
bundle(
  "import jsQR from 'jsqr'; export default jsQR;",
  'jsqr.js',
  `// jsqr ${pkgVersion('jsqr')} (Apache-2.0), bundled by tools/vendor.mjs. Do not edit.`,
);

// DCC schemas: the same layout certificate/src/fs.rs reads (DCC.schema.json with the
// documents it $refs, version from its $comment; versions/<ver>/*.json).
const schemas = []; // [version, rootId]
const ajv = new Ajv2020({
  strict: false, // the EU schemas carry annotation keywords (valueset-uri)
  validateFormats: false, // `format` is an annotation, as in certificate/src/schema.rs
  allErrors: true,
  code: { source: true, esm: true, lines: false },
});
for (const name of readdirSync(schemaDir).sort()) {
  if (!name.endsWith('.json')) continue;
  const doc = JSON.parse(readFileSync(join(schemaDir, name), 'utf8'));
  if (name === 'DCC.schema.json') {
    const version = String(doc.$comment || '').split(' ').pop();
    schemas.push([version, doc.$id]);
  }
  if (doc.$id && name !== 'DCC.combined-schema.json') ajv.addSchema(doc);
}
const versionsDir = join(schemaDir, 'versions');
for (const v of readdirSync(versionsDir).sort()) {
  for (const name of readdirSync(join(versionsDir, v)).sort()) {
    if (!name.endsWith('.json')) continue;
    const doc = JSON.parse(readFileSync(join(versionsDir, v, name), 'utf8'));
    // The combined schemas of different versions share one $id: give each its own.
    const id = `https://id.uvci.eu/versions/${v}/${name}`;
    ajv.addSchema({ ...doc, $id: id });
    schemas.push([v, id]);
  }
}
const refs = {};
for (const [version, id] of schemas) refs[`v_${version.replaceAll('.', '_')}`] = id;
// A fixed name inside the package, so the bundle (which names its inputs) is reproducible.
const generated = join(root, '.dcc-schemas.generated.mjs');
try {
  writeFileSync(generated, standaloneCode(ajv, refs));
  const index = Object.keys(refs)
    .map((k) => `  [${JSON.stringify(k.slice(2).replaceAll('_', '.'))}, m.${k}],`)
    .join('\n');
  const entry = `import * as m from ${JSON.stringify(generated)};\nexport const validators = new Map([\n${index}\n]);\n`;
  bundle(
    entry,
    'dcc-schemas.js',
    `// Ajv ${pkgVersion('ajv')} (MIT) standalone validators for the EU DCC schemas (Apache-2.0) ${schemas.map((s) => s[0]).join(', ')}; generated by tools/vendor.mjs. Do not edit.`,
  );
} finally {
  rmSync(generated, { force: true });
}

// Value sets in the compressed form the rules read: {id: [codes sorted]} (all codes, as
// certificate::valuesets::ValueSets::to_certlogic gives them).
const sets = {};
for (const name of readdirSync(valueSetDir).sort()) {
  if (!name.endsWith('.json')) continue;
  let doc;
  try {
    doc = JSON.parse(readFileSync(join(valueSetDir, name), 'utf8'));
  } catch {
    continue;
  }
  if (typeof doc.valueSetId !== 'string' || typeof doc.valueSetValues !== 'object') continue;
  sets[doc.valueSetId] = Object.keys(doc.valueSetValues).sort();
}
emit(
  'valuesets.js',
  `// EU DCC value sets (codes only), generated by tools/vendor.mjs from dcc-valuesets. Do not edit.\nexport const valueSets = ${JSON.stringify(sets)};\n`,
);
// The licences of what the page ships, served beside it (Apache-2.0 §4 asks for the text).
const licences = [
  ['certlogic-js', 'LICENSE'],
  ['jsqr', 'LICENSE'],
  ['ajv', 'LICENSE'],
]
  .map(([name, file]) => {
    const text = readFileSync(join(dirname(require.resolve(`${name}/package.json`)), file), 'utf8');
    return `==== ${name} ${pkgVersion(name)} ====\n\n${text.trim()}\n`;
  })
  .join('\n');
emit(
  'LICENSES.txt',
  `Third-party code in the venue verifier page (see PROVENANCE.md). The EU DCC schemas and value sets\n(vendor/dcc-schemas.js, vendor/valuesets.js) are Apache-2.0, from shared/testdata (see their LICENSE).\n\n${licences}`,
);

if (check) {
  if (stale.length) {
    console.error(`vendor/ is stale: ${stale.join(', ')} (run: npm ci && node tools/vendor.mjs)`);
    process.exit(1);
  }
  console.log('vendor/ matches the locked packages and the data');
  process.exit(0);
}
console.log(`vendor/: certlogic.js, jsqr.js, dcc-schemas.js (${schemas.length} versions), valuesets.js (${Object.keys(sets).length} sets)`);
