#!/usr/bin/env python3
"""Request files for bench/service/loadgen from a `fiable-lookup corpus` TSV.

usage: queries.py CORPUS.tsv OUTDIR

Writes one file per class (the loadgen format: METHOD<TAB>PATH) and
`mix.txt`, all classes interleaved in a fixed (seeded) order:

- the corpus kinds: full, no_postcode, prefix, abbrev, typo, folded;
- typed: every `full` query as an autocomplete widget sends it while the
  address is typed: the prefixes ending every 3 characters from the 3rd
  on, then the whole text (a debounced widget sends about that many);
- postcode: the `full` and `typo` queries with the typed postcode also
  given as the `postcode=` filter (what a form with a separate postcode
  field sends).
"""
import os
import random
import re
import sys
from urllib.parse import quote


def search(q, postcode=None):
    p = "/v1/address/search?q=" + quote(q, safe="") + "&limit=5"
    if postcode:
        p += "&postcode=" + postcode
    return "GET\t" + p


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    classes = {}
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            kind, q, _id, label = line.rstrip("\n").split("\t")
            classes.setdefault(kind, []).append(search(q))
            if kind == "full":
                typed = classes.setdefault("typed", [])
                for n in range(3, len(q), 3):
                    typed.append(search(q[:n]))
                typed.append(search(q))
            if kind in ("full", "typo"):
                m = re.search(r"\b(\d{5})\b", q)
                if m:
                    classes.setdefault("postcode", []).append(search(q, m.group(1)))
    mix = [l for ls in classes.values() for l in ls]
    random.Random(7).shuffle(mix)
    classes["mix"] = mix
    for name, lines in classes.items():
        with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{name}\t{len(lines)}")


if __name__ == "__main__":
    main()
