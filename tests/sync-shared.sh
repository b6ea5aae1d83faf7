#!/usr/bin/env bash
# Copies the shared invalidation block (between the SHARED INVALIDATION CODE markers) from invalidate.java into
# deploy-site.java. Edit the block in invalidate.java, run this, and SharedCodeTest stays green.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import re
begin, end = "// ================================================================ SHARED INVALIDATION CODE BEGIN", \
             "// ================================================================ SHARED INVALIDATION CODE END"
src = open("invalidate.java", encoding="utf-8").read()
block = src[src.index(begin):src.index(end) + len(end)]
dst = open("deploy-site.java", encoding="utf-8").read()
if "// @@SHARED@@" in dst:
    dst = dst.replace("// @@SHARED@@", block)
else:
    dst = dst[:dst.index(begin)] + block + dst[dst.index(end) + len(end):]
open("deploy-site.java", "w", encoding="utf-8").write(dst)
PY
