#!/usr/bin/env bash
# Seeds the fuzz corpora from the EU test vectors: PREFIX strings for hc1_decode and the
# COSE bytes for cose_cwt. Usage: fuzz/seed-corpus.sh [path/to/shared/testdata/dcc]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vectors="${1:-$here/../../../shared/testdata/dcc}"
mkdir -p "$here/corpus/hc1_decode" "$here/corpus/cose_cwt"
python3 - "$vectors" "$here/corpus" <<'PY'
import glob, hashlib, json, os, sys
src, out = sys.argv[1], sys.argv[2]
n = 0
for path in glob.glob(os.path.join(src, "**", "*.json"), recursive=True):
    try:
        doc = json.load(open(path, encoding="utf-8"))
    except Exception:
        continue
    if not isinstance(doc, dict):
        continue
    prefix = doc.get("PREFIX")
    if isinstance(prefix, str):
        data = prefix.encode()
        open(os.path.join(out, "hc1_decode", hashlib.sha1(data).hexdigest()), "wb").write(data)
        n += 1
    cose = doc.get("COSE")
    if isinstance(cose, str):
        try:
            data = bytes.fromhex(cose)
        except ValueError:
            continue
        open(os.path.join(out, "cose_cwt", hashlib.sha1(data).hexdigest()), "wb").write(data)
        n += 1
print(f"seeded {n} corpus files")
PY
