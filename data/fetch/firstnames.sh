#!/usr/bin/env bash
# Refreshes data/raw/prenoms/: the INSEE "Fichier des prénoms" (births by
# first name, sex and year, France, 1900-2023; 2023 edition), Licence Ouverte.
# Copied from the shared data folder when it is there (../shared, or
# $FIABLE_SHARED), otherwise downloaded from the pinned GitHub commit that
# holds a byte-identical copy. Either way the SHA-256 is checked, so the
# snapshot never changes silently. See data/SOURCES.md.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/data/raw/prenoms"
FILE=prenoms-2023-nat_csv.zip
SHA256=03b3d2d49d9fe3169283a842121f765dd1389d8bdb4081ecfe7dd9d272005963
COMMIT=d9e3b736106c5aa70bff972d4e457397e7bfc911   # GitHub p2jh/PrenomsInsee
SHARED="${FIABLE_SHARED:-$ROOT/../shared}"

mkdir -p "$OUT"
if [ -f "$SHARED/data/prenoms/$FILE" ]; then
    cp "$SHARED/data/prenoms/$FILE" "$OUT/$FILE.tmp"
else
    curl -fsSL "https://raw.githubusercontent.com/p2jh/PrenomsInsee/$COMMIT/$FILE" -o "$OUT/$FILE.tmp"
fi
echo "$SHA256  $OUT/$FILE.tmp" | sha256sum -c --quiet -
chmod 644 "$OUT/$FILE.tmp"
mv -f "$OUT/$FILE.tmp" "$OUT/$FILE"
echo "firstnames: snapshot written to data/raw/prenoms/$FILE"
