#!/usr/bin/env bash
# Prints the path of the synthetic BAN file NAME (1m, 26m) of ROWS rows,
# generating it when no current one exists: usage `synth.sh BIN NAME ROWS`.
#
# A file is reused (from $SYNTH_DIR, else bench/build/synth/) only when its
# stamp matches the generator's inputs: lookup/src/synth.rs, the commune
# chunks and the vocabulary file, and the row count. A file made by an older
# generator (before synth drew the real communes, say) is regenerated
# rather than silently benchmarked.
set -euo pipefail
BIN=$1 name=$2 rows=$3
SYNTH_DIR=${SYNTH_DIR:-/tmp/synth}
stamp=$( { echo "rows=$rows seed=42"; cat lookup/src/synth.rs core/chunks/communes-*.tsv data/raw/ban/adresses-75.csv.gz; } | sha256sum | cut -c1-16)
for f in "$SYNTH_DIR/ban-$name.csv.gz" "bench/build/synth/ban-$name.csv.gz"; do
  if [ -s "$f" ] && [ "$(cat "$f.stamp" 2>/dev/null)" = "$stamp" ] && gzip -t "$f" 2>/dev/null; then
    echo "$f"
    exit 0
  fi
done
f=bench/build/synth/ban-$name.csv.gz
mkdir -p bench/build/synth
echo "generating $f ($rows rows, generator $stamp)" >&2
rm -f "$f" "$f.stamp"
"$BIN" synth --rows "$rows" --out "$f.tmp.csv.gz" >&2
mv "$f.tmp.csv.gz" "$f"
echo "$stamp" > "$f.stamp"
echo "$f"
