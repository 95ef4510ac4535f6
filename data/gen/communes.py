"""French communes by postcode: one chunk per first two postcode digits.

Reads data/raw/places/decoupage-administratif-6.0.0-communes.json.gz and
writes core/chunks/communes-XX.tsv (XX = first two postcode digits), UTF-8,
one line per (postcode, commune):

    postcode <TAB> INSEE code <TAB> name <TAB> population or "-"

- current communes (`commune-actuelle`, overseas ones included) carry their
  population (used to rank homonyms);
- municipal arrondissements (Paris, Lyon, Marseille) are not listed: their
  postcodes already belong to the commune ("Paris", 75056);
- delegated and associated communes (`commune-deleguee`, `commune-associee`:
  former communes merged into a new one, still written as the city on
  envelopes) are listed with "-" under every postcode of the commune they
  belong to, unless a commune of the same name is already listed there.
  The data does not say which of the parent's postcodes each one uses.

Lines are sorted by postcode, current communes first, then population
(descending), name, INSEE code. Python 3 standard library only.
"""
import gzip
import json
import os
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "data", "raw", "places", "decoupage-administratif-6.0.0-communes.json.gz")
OUT = os.path.join(ROOT, "core", "chunks")


def fold(s):
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if c.isalnum() and not unicodedata.combining(c)).lower()


def main():
    with gzip.open(SRC, "rt", encoding="utf-8") as f:
        communes = json.load(f)
    current = {c["code"]: c for c in communes if c["type"] == "commune-actuelle"}
    rows = []  # (postcode, rank, -population, name, insee, popfield)
    names_at = {}  # postcode -> folded names listed
    for c in current.values():
        for pc in c.get("codesPostaux", []):
            pop = int(c.get("population", 0))
            rows.append((pc, 0, -pop, c["nom"], c["code"], str(pop)))
            names_at.setdefault(pc, set()).add(fold(c["nom"]))
    for c in sorted(communes, key=lambda c: (c["code"], c["nom"])):
        if c["type"] not in ("commune-deleguee", "commune-associee"):
            continue
        parent = current.get(c.get("chefLieu"))
        if parent is None:
            continue
        for pc in parent.get("codesPostaux", []):
            k = fold(c["nom"])
            if k in names_at[pc]:
                continue
            names_at[pc].add(k)
            rows.append((pc, 1, 0, c["nom"], c["code"], "-"))
    for pc, _, _, name, insee, _ in rows:
        assert len(pc) == 5 and pc.isdigit(), pc
        assert "\t" not in name and "\n" not in name and name.strip() == name, name
    rows.sort()
    chunks = {}
    for pc, _, _, name, insee, pop in rows:
        chunks.setdefault(pc[:2], []).append("\t".join((pc, insee, name, pop)))
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith("communes-") and f.endswith(".tsv") and f[9:11] not in chunks:
            os.remove(os.path.join(OUT, f))
    for prefix, lines in sorted(chunks.items()):
        with open(os.path.join(OUT, "communes-%s.tsv" % prefix), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
