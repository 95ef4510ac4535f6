"""Country codes and names (English, French), from i18n-iso-countries.

Reads data/raw/places/i18n-iso-countries-7.14.0-{codes,en,fr}.json and writes
core/src/tables/countries.rs:
- COUNTRIES: alpha-2, alpha-3, French name, sorted by alpha-2 (what the
  Wasm carries: the French page needs no other);
- COUNTRIES_EN: alpha-2, English name, for the countries whose English
  name differs from the French one (native builds compile it in; the Wasm
  gets it from the data chunk `text-en`, which core/examples/defs.rs writes);
  the first name of the package in each language is the display name;
- ALIASES: other names accepted as input: the package's alternative English
  names plus the short list EXTRA below (usage names such as "England",
  native names of neighbours). A name two countries share ("Congo") is
  dropped; so is one that folds to a display name;
- HOME: alpha-2, alpha-3, French name and English name when it differs, of
  the countries whose numbering plans a French form loads up front (the
  regions of phone.py's pack "fr"): what the eager Wasm module, which has
  no country table, reads of an address country.

Matching keys are computed at run time by core/src/country.rs; `key` below
mirrors it closely enough to find clashes. Python 3 standard library only.
"""
import json
import os
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RAW = os.path.join(ROOT, "data", "raw", "places")
PKG = "i18n-iso-countries-7.14.0"
OUT = os.path.join(ROOT, "core", "src", "tables", "countries.rs")

# The regions of phone.py's PACKS["fr"] (core/src/phone/mod.rs FAMILIES; a core test compares).
HOME = ["FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF"]

# Names people write that the package does not list (kept short: each costs bytes).
EXTRA = {
    "GB": ["England", "Angleterre", "Scotland", "Écosse", "Wales", "Pays de Galles",
           "Northern Ireland", "Irlande du Nord", "Grande-Bretagne", "Britain", "UK"],
    "US": ["États-Unis", "America"],
    "NL": ["Holland", "Hollande", "Nederland"],
    "CZ": ["Tchéquie"],
    "MK": ["Macédoine", "Macedonia"],
    "VA": ["Vatican", "Cité du Vatican"],
    "DE": ["Deutschland"],
    "ES": ["España"],
    "IT": ["Italia"],
    "CH": ["Schweiz", "Svizzera"],
    "BE": ["België", "Belgien"],
    "AT": ["Österreich"],
    "PL": ["Polska"],
    "SE": ["Sverige"],
    "DK": ["Danmark"],
    "NO": ["Norge"],
    "FI": ["Suomi"],
    "IE": ["Éire", "Eire"],
    "BR": ["Brasil"],
    "GR": ["Hellas", "Grèce"],
    "RE": ["La Réunion"],
    "RU": ["Russia"],
    "KR": ["Corée"],
    "CI": ["Ivory Coast", "Côte d'Ivoire"],
    "SZ": ["Swaziland", "Eswatini"],
    "MM": ["Birmanie", "Burma"],
    "CV": ["Cabo Verde"],
    "MD": ["Moldova"],
    "SY": ["Syria"],
    "LA": ["Laos"],
    "VN": ["Viet Nam"],
    "GF": ["Guyane"],
    "BL": ["Saint-Barth"],
}

ST = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def key(s):
    s = unicodedata.normalize("NFKD", s.replace("ß", "ss").replace("œ", "oe").replace("Œ", "oe")
                              .replace("æ", "ae").replace("Æ", "ae"))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    words, cur = [], ""
    for c in s:
        if c.isalnum():
            cur += c
        elif cur:
            words.append(cur)
            cur = ""
    if cur:
        words.append(cur)
    return "".join(ST.get(w, w) for w in words)


def main():
    load = lambda n: json.load(open(os.path.join(RAW, "%s-%s.json" % (PKG, n)), encoding="utf-8"))
    codes = load("codes")
    en = load("en")["countries"]
    fr = load("fr")["countries"]
    rows = []
    primary = {}  # key -> alpha-2 of display names
    names = {}
    for a2, a3, _num, _iso in sorted(codes):
        e = en[a2] if isinstance(en[a2], list) else [en[a2]]
        f = fr[a2] if isinstance(fr[a2], list) else [fr[a2]]
        rows.append((a2, a3, f[0], e[0]))
        for n in (e[0], f[0]):
            k = key(n)
            if primary.get(k, a2) != a2:
                sys.exit("countries.py: display names of %s and %s clash (%r)" % (primary[k], a2, n))
            primary[k] = a2
        names[a2] = e[1:] + f[1:] + EXTRA.get(a2, [])
    for a2 in EXTRA:
        if a2 not in names:
            sys.exit("countries.py: EXTRA names an unknown code %s" % a2)
    owners = {}
    for a2, ns in names.items():
        for n in ns:
            owners.setdefault(key(n), set()).add(a2)
    aliases = []
    seen = set()
    for a2 in sorted(names):
        for n in names[a2]:
            k = key(n)
            if len(owners[k]) > 1:
                if a2 == min(owners[k]):
                    print("note: alias %r is ambiguous (%s), dropped" % (n, ",".join(sorted(owners[k]))),
                          file=sys.stderr)
                continue
            if k in primary or k in seen or k == a2.lower():
                continue
            seen.add(k)
            aliases.append((n, a2))
    aliases.sort(key=lambda x: (x[1], x[0]))

    for r in rows + aliases:
        for x in r:
            assert not set(x) & set('\t\n"\\'), x
    lines = [
        "// generated by data/gen/countries.py from data/raw/places/%s-*.json — do not edit" % PKG,
        "//! ISO 3166 countries with French and English names.",
        "",
        "/// One line per country, by alpha-2: `alpha-2 \\t alpha-3 \\t French name`.",
        "/// One string: no pointer tables.",
        "pub const COUNTRIES: &str = \"\\",
    ]
    for r in rows:
        lines.append("%s\\n\\" % "\\t".join(r[:3]))
    lines.append("\";")
    lines.append("")
    lines.append("/// The English names that differ from the French ones, by alpha-2:")
    lines.append("/// `alpha-2 \\t English name`. Not in the Wasm (chunk `text-en`).")
    lines.append("pub const COUNTRIES_EN: &str = \"\\")
    for r in rows:
        if r[3] != r[2]:
            lines.append("%s\\t%s\\n\\" % (r[0], r[3]))
    lines.append("\";")
    lines.append("")
    lines.append("/// The countries of the French numbering-plan pack, what the eager Wasm")
    lines.append("/// module reads of an address country: `alpha-2 \\t alpha-3 \\t French")
    lines.append("/// name`, then ` \\t English name` when it differs.")
    lines.append("pub const HOME: &str = \"\\")
    for r in rows:
        if r[0] in HOME:
            lines.append("%s\\n\\" % "\\t".join(r if r[3] != r[2] else r[:3]))
    lines.append("\";")
    lines.append("")
    lines.append("/// Other names accepted as input, one a line: `name \\t alpha-2`.")
    lines.append("pub const ALIASES: &str = \"\\")
    for n, a2 in aliases:
        lines.append("%s\\t%s\\n\\" % (n, a2))
    lines.append("\";")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
