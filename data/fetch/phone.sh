#!/usr/bin/env bash
# Refreshes the phone-number snapshot from Google's libphonenumber metadata,
# as shipped by the pinned PyPI package `phonenumbers` (Apache-2.0):
#   data/raw/phone/metadata.json                       (input of data/gen/phone.py)
#   core/tests/fixtures/phone_google/phonenumbers.json (agreement fixture for
#                                                       core/tests/phone_google.rs)
# The package is installed in a throwaway venv; nothing else is downloaded.
set -euo pipefail
VERSION=9.0.43
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${TMPDIR:-/tmp}/fiable-phonenumbers-$VERSION"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "phonenumbers==$VERSION"
fi
"$VENV/bin/python" - "$ROOT" "$VERSION" <<'PY'
import json, os, sys
import phonenumbers as pn
from phonenumbers import PhoneMetadata, PhoneNumberType as T, PhoneNumberFormat as F
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

root, version = sys.argv[1], sys.argv[2]
assert pn.__version__ == version, pn.__version__

TYPES = ["fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip",
         "personal_number", "pager", "uan", "voicemail"]
TYPE_NAMES = {T.FIXED_LINE: "fixed_line", T.MOBILE: "mobile", T.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
              T.TOLL_FREE: "toll_free", T.PREMIUM_RATE: "premium_rate", T.SHARED_COST: "shared_cost",
              T.VOIP: "voip", T.PERSONAL_NUMBER: "personal_number", T.PAGER: "pager", T.UAN: "uan",
              T.VOICEMAIL: "voicemail", T.UNKNOWN: "unknown"}

def desc(d, local=False):
    if d is None:
        return None
    out = {"pattern": d.national_number_pattern,
           "possible_lengths": [n for n in (d.possible_length or ()) if n >= 0]}
    if local:
        out["local_only_lengths"] = list(d.possible_length_local_only or ())
    if d.example_number:
        out["example"] = d.example_number
    return out

def fmt(f):
    out = {"pattern": f.pattern, "format": f.format,
           "leading_digits": list(f.leading_digits_pattern or ())}
    if f.national_prefix_formatting_rule:
        out["national_prefix_formatting_rule"] = f.national_prefix_formatting_rule
    if f.national_prefix_optional_when_formatting:
        out["national_prefix_optional_when_formatting"] = True
    return out

def region(m):
    r = {"id": m.id, "country_code": m.country_code,
         "international_prefix": m.international_prefix,
         "national_prefix": m.national_prefix,
         "national_prefix_for_parsing": m.national_prefix_for_parsing,
         "national_prefix_transform_rule": m.national_prefix_transform_rule,
         "leading_digits": m.leading_digits,
         "same_mobile_and_fixed_line_pattern": bool(m.same_mobile_and_fixed_line_pattern),
         "general": desc(m.general_desc, local=True),
         "number_formats": [fmt(f) for f in m.number_format],
         "intl_number_formats": [fmt(f) for f in m.intl_number_format]}
    for t in TYPES:
        d = desc(getattr(m, t))
        if d is not None and d["pattern"]:
            r[t] = d
    return {k: v for k, v in r.items() if v is not None}

regions = {}
for code in sorted(pn.SUPPORTED_REGIONS):
    regions[code] = region(PhoneMetadata.metadata_for_region(code))
for cc in sorted(pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
    regions["001_%d" % cc] = region(PhoneMetadata.metadata_for_nongeo_region(cc))
snapshot = {
    "source": "Google libphonenumber metadata via PyPI phonenumbers %s (Apache-2.0)" % version,
    "country_code_to_regions": {str(cc): list(rs) for cc, rs in sorted(COUNTRY_CODE_TO_REGION_CODE.items())},
    "regions": regions,
}
os.makedirs(os.path.join(root, "data/raw/phone"), exist_ok=True)
with open(os.path.join(root, "data/raw/phone/metadata.json"), "w", encoding="utf-8") as f:
    json.dump(snapshot, f, indent=1, sort_keys=True, ensure_ascii=False)
    f.write("\n")

# ---- agreement fixture: what phonenumbers says about many inputs ----------
# One case per line: [input, default region or null, valid, and for a valid
# number: type, region, E.164, national format, international format].
def verdict(inp, reg):
    try:
        n = pn.parse(inp, reg)
    except pn.NumberParseException:
        return [inp, reg, False]
    if not pn.is_valid_number(n):
        return [inp, reg, False]
    return [inp, reg, True, TYPE_NAMES[pn.number_type(n)], pn.region_code_for_number(n),
            pn.format_number(n, F.E164), pn.format_number(n, F.NATIONAL),
            pn.format_number(n, F.INTERNATIONAL)]

def dotted(s):
    return s.replace(" ", ".")

def spaced(digits, step):
    return " ".join(digits[i:i + step] for i in range(0, len(digits), step))

# Regions whose international prefix is a plain digit string: dial from there.
DIAL_FROM = ["US", "JP", "AU", "RU", "BR", "FR", "IN", "CN"]

cases, seen = [], set()
def add(inp, reg):
    if (inp, reg) not in seen:
        seen.add((inp, reg))
        cases.append(verdict(inp, reg))

def idd_is_00(reg):
    try:
        return pn.parse("0033612345678", reg).country_code == 33
    except pn.NumberParseException:
        return False

k = 0
for key in sorted(regions):
    r = regions[key]
    geo = not key.startswith("001")
    reg = key if geo else None
    cc = str(r["country_code"])
    for t in TYPES:
        ex = r.get(t, {}).get("example")
        if not ex:
            continue
        k += 1
        n = pn.parse("+" + cc + ex)
        intl = pn.format_number(n, F.INTERNATIONAL)
        e164 = pn.format_number(n, F.E164)
        nat = pn.format_number(n, F.NATIONAL)
        add(intl, None)
        add(spaced(e164, 3), None)
        if geo:
            add(nat, reg)
            add(dotted(nat), reg)
            add(cc + ex, reg)
        idd_from = reg if geo and idd_is_00(reg) else "FR"
        add("00 " + cc + " " + ex, idd_from)
        if k % 3 == 0:
            q = DIAL_FROM[(k // 3) % len(DIAL_FROM)]
            qm = PhoneMetadata.metadata_for_region(q)
            add((qm.preferred_international_prefix or qm.international_prefix) + " " + intl[1:], q)
        # Mutations: most are invalid, some stay valid: phonenumbers decides.
        add("+" + cc + ex[:-1], None)
        add("+" + cc + ex + "7", None)
        mutated = ex[:-2] + str((int(ex[-2]) + 5) % 10) + ex[-1]
        add(mutated if geo else "+" + cc + mutated, reg)

out = os.path.join(root, "core/tests/fixtures/phone_google")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "phonenumbers.json"), "w", encoding="utf-8") as f:
    f.write("[\n")
    f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
    f.write("\n]\n")
print("phone: %d regions, %d examples, %d agreement cases" % (len(regions), k, len(cases)))
PY
