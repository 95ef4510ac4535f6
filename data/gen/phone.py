"""Generates core/chunks/phone-<calling code>.tsv and core/src/tables/phone.rs
from data/raw/phone/metadata.json.

The snapshot is Google's libphonenumber metadata (see data/SOURCES.md,
"Phone numbers"); data/fetch/phone.sh refreshes it. Python 3 standard library
only, offline and deterministic.

What is kept: per region the calling code, international and national
prefixes, national-prefix parsing rule and transform, leading digits, the
general and per-type patterns with their possible lengths, and the number
formats (only the main region of a calling code formats, as in
libphonenumber; only the last, most detailed leading-digits pattern of each
format). Example numbers, short codes, carrier data and the rest are dropped.

Every pattern is deduplicated into one table and checked against the regex
subset that core/src/phone/pattern.rs implements: a metadata update that needs
more makes this script fail instead of silently breaking validation.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "data", "raw", "phone", "metadata.json")
OUT = os.path.join(ROOT, "core", "src", "tables", "phone.rs")
CHUNKS = os.path.join(ROOT, "core", "chunks")
# The calling codes of each family pack (see main): France's, with the
# overseas departments and collectivities that share its national plan.
PACKS = {"fr": [33, 590, 594, 596, 262]}

TYPES = ["fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip",
         "personal_number", "pager", "uan", "voicemail"]


def fail(msg):
    sys.exit("data/gen/phone.py: " + msg)


def check_pattern(p, where):
    """Accepts exactly the subset core/src/phone/pattern.rs matches."""
    i, depth, prev_atom = 0, 0, False
    while i < len(p):
        c = p[i]
        if c.isdigit():
            i, prev_atom = i + 1, True
        elif p.startswith("\\d", i):
            i, prev_atom = i + 2, True
        elif c == "[":
            j = p.find("]", i)
            if j < 0:
                fail(f"{where}: unterminated class in {p!r}")
            body = p[i + 1:j]
            if not re.fullmatch(r"(?:\d-\d|\d)+", body):
                fail(f"{where}: unsupported class [{body}] in {p!r}")
            for a, b in re.findall(r"(\d)-(\d)", body):
                if a > b:
                    fail(f"{where}: reversed range in {p!r}")
            i, prev_atom = j + 1, True
        elif p.startswith("(?:", i):
            i, depth, prev_atom = i + 3, depth + 1, False
        elif c == "(":
            if p.startswith("(?", i):
                fail(f"{where}: unsupported group in {p!r}")
            i, depth, prev_atom = i + 1, depth + 1, False
        elif c == ")":
            depth -= 1
            if depth < 0:
                fail(f"{where}: unbalanced ) in {p!r}")
            i, prev_atom = i + 1, True
        elif c == "|":
            i, prev_atom = i + 1, False
        elif c == "?":
            if not prev_atom:
                fail(f"{where}: dangling ? in {p!r}")
            i, prev_atom = i + 1, False
        elif c == "{":
            m = re.match(r"\{(\d+)(?:,(\d+))?\}", p[i:])
            if not m or not prev_atom or (m.group(2) and int(m.group(2)) < int(m.group(1))):
                fail(f"{where}: unsupported repetition in {p!r}")
            if int(m.group(2) or m.group(1)) > 40:
                fail(f"{where}: repetition too large in {p!r}")
            i, prev_atom = i + len(m.group(0)), False
        elif c == "$":
            i, prev_atom = i + 1, False
        else:
            fail(f"{where}: unsupported character {c!r} in {p!r}")
    if depth != 0:
        fail(f"{where}: unbalanced ( in {p!r}")
    if len(p) > 4000:
        fail(f"{where}: pattern too long")
    # The matcher records at most 9 capturing groups.
    if len(re.findall(r"\((?!\?)", p)) > 9:
        fail(f"{where}: too many groups in {p!r}")


def check_template(s, where, allowed=r"[0-9 ()./-]|\\[1-9]"):
    if not re.fullmatch(f"(?:{allowed})*", s):
        fail(f"{where}: unsupported template {s!r}")


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Pool:
    """Deduplicated strings, index 0 is the empty string (= absent)."""

    def __init__(self):
        self.items, self.index = [""], {"": 0}

    def add(self, s):
        s = s or ""
        if s not in self.index:
            self.index[s] = len(self.items)
            self.items.append(s)
        return self.index[s]


def main():
    with open(SRC, encoding="utf-8") as f:
        snap = json.load(f)
    regions = snap["regions"]
    cc_map = {int(k): v for k, v in snap["country_code_to_regions"].items()}

    patterns = Pool()

    def lens(ns):
        mask = 0
        for n in ns:
            if not 0 < n < 32:
                fail(f"possible length {n} out of range")
            mask |= 1 << n
        return mask

    def pat(p, where):
        if p is None:
            return 0
        check_pattern(p, where)
        return patterns.add(p)

    # Region order: geographic regions by code, then the non-geographic
    # entities ("001") by calling code.
    keys = sorted(k for k in regions if not k.startswith("001")) + \
        sorted((k for k in regions if k.startswith("001")), key=lambda k: int(k[4:]))

    def tsv(s, where):
        s = s or ""
        if "\t" in s or "\n" in s:
            fail(f"{where}: tab or newline in {s!r}")
        return s

    # One chunk per calling code: its regions (main region first), their
    # formats and the patterns they use. Pattern numbers are global (the
    # matcher caches compiled patterns by number), so a pattern shared by
    # two chunks is the same number in both.
    chunks = {}
    for key in keys:
        r = regions[key]
        rid = "001" if key.startswith("001") else key
        cc = r["country_code"]
        members = cc_map.get(cc, [])
        if rid not in members:
            fail(f"{key}: calling code {cc} does not list it")
        main = members[0] == rid
        used = {}

        def p(x, where):
            i = pat(x, where)
            if i:
                used[i] = patterns.items[i]
            return str(i)

        def fmt_list(fl, kind, tag):
            out = []
            for i, fm in enumerate(fl):
                where = f"{key} {kind}[{i}]"
                check_template(fm["format"], where)
                npfr = fm.get("national_prefix_formatting_rule", "")
                check_template(npfr, where, r"[0-9 ()-]|\\1")
                if npfr and npfr.count("\\1") != 1:
                    fail(f"{where}: national prefix rule {npfr!r}")
                ld = fm["leading_digits"][-1] if fm["leading_digits"] else None
                optional = "1" if fm.get("national_prefix_optional_when_formatting") else "0"
                out.append("\t".join((tag, p(fm["pattern"], where), p(ld, where),
                                       tsv(fm["format"], where), tsv(npfr, where), optional)))
            if len(fl) > 255:
                fail("too many formats")
            return out

        # Only the main region of a calling code formats (libphonenumber
        # formats with the main region's metadata).
        nf = fmt_list(r["number_formats"], "format", "f") if main else []
        inf = fmt_list(r["intl_number_formats"], "intl_format", "i") if main else []
        npt = r.get("national_prefix_transform_rule") or ""
        check_template(npt, f"{key} transform", r"[0-9]|\\[1-9]")
        g = r["general"]
        if g["possible_lengths"] == []:
            fail(f"{key}: no possible lengths")
        types, tlens = [], []
        for t in TYPES:
            d = r.get(t)
            if d is None:
                types.append("0")
                tlens.append("0")
                continue
            if not d["possible_lengths"]:
                fail(f"{key} {t}: pattern without possible lengths")
            types.append(p(d["pattern"], f"{key} {t}"))
            tlens.append("%x" % lens(d["possible_lengths"]))
        row = "\t".join(["r", "00" if rid == "001" else rid, str(cc),
                          p(r.get("international_prefix"), f"{key} international_prefix"),
                          tsv(r.get("national_prefix"), key),
                          p(r.get("national_prefix_for_parsing"), f"{key} national_prefix_for_parsing"),
                          tsv(npt, key),
                          p(r.get("leading_digits"), f"{key} leading_digits"),
                          "1" if r["same_mobile_and_fixed_line_pattern"] else "0",
                          p(g["pattern"], f"{key} general"),
                          "%x" % lens(g["possible_lengths"]), "%x" % lens(g["local_only_lengths"]),
                          ",".join(types), ",".join(tlens)])
        c = chunks.setdefault(cc, {"patterns": {}, "regions": {}})
        c["patterns"].update(used)
        c["regions"][rid if rid != "001" else key] = [row] + nf + inf
    if len(patterns.items) > 65535:
        fail("too many patterns for u16 numbers")

    for f in os.listdir(CHUNKS):
        if f.startswith("phone-") and f.endswith(".tsv") and int(f[6:-4]) not in chunks:
            os.remove(os.path.join(CHUNKS, f))
    for cc, c in sorted(chunks.items()):
        lines = []
        for i, text in sorted(c["patterns"].items()):
            if not text.isascii():
                fail(f"non-ASCII pattern {text!r}")
            lines.append(f"p\t{i}\t{tsv(text, cc)}")
        order = [("001_%d" % cc) if m == "001" else m for m in cc_map[cc]]
        for m in order:
            if m not in c["regions"]:
                fail(f"calling code {cc}: unknown region {m}")
            lines += c["regions"][m]
        with open(os.path.join(CHUNKS, "phone-%d.tsv" % cc), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")

    # A pack: the chunks of a family of calling codes in one file (one
    # fetch, and gzip sees their shared patterns once), for a form whose
    # country is in the family: the patterns, then each code's regions.
    # The families are core/src/phone/mod.rs's FAMILIES; a pack is named
    # after its first region (phones-fr).
    for name, ccs in PACKS.items():
        used, rows = {}, []
        for cc in ccs:
            c = chunks[cc]
            used.update(c["patterns"])
            for m in cc_map[cc]:
                rows += c["regions"][("001_%d" % cc) if m == "001" else m]
        lines = [f"p\t{i}\t{tsv(text, name)}" for i, text in sorted(used.items())] + rows
        with open(os.path.join(CHUNKS, "phones-%s.tsv" % name), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")

    geo = sorted((k, regions[k]["country_code"]) for k in keys if not k.startswith("001"))
    out = []
    w = out.append
    w("// generated by data/gen/phone.py from data/raw/phone/metadata.json — do not edit")
    w("//! What the page needs before any phone data chunk: " + snap["source"] + ".")
    w("//! The regions themselves are in the chunks `phone-<calling code>` (core/chunks/).")
    w("")
    w("/// Every geographic region and its calling code, by region code.")
    w(f"pub static REGION_CC: [([u8; 2], u16); {len(geo)}] = [")
    for i in range(0, len(geo), 8):
        w("    " + " ".join(f'(*b"{k}", {cc}),' for k, cc in geo[i:i + 8]))
    w("];")
    w("")
    ccs = sorted(cc_map)
    w("/// Every calling code, sorted.")
    w(f"pub static CALLING_CODES: [u16; {len(ccs)}] = [")
    for i in range(0, len(ccs), 16):
        w("    " + " ".join(f"{cc}," for cc in ccs[i:i + 16]))
    w("];")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
