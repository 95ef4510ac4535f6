"""Generates core/src/tables/phone.rs from data/raw/phone/metadata.json.

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

    patterns, strings = Pool(), Pool()
    lengths = [0]
    length_index = {0: 0}

    def lens(ns):
        mask = 0
        for n in ns:
            if not 0 < n < 32:
                fail(f"possible length {n} out of range")
            mask |= 1 << n
        if mask not in length_index:
            length_index[mask] = len(lengths)
            lengths.append(mask)
        return length_index[mask]

    def pat(p, where):
        if p is None:
            return 0
        check_pattern(p, where)
        return patterns.add(p)

    # Region order: geographic regions by code, then the non-geographic
    # entities ("001") by calling code, so lookups can binary-search.
    keys = sorted(k for k in regions if not k.startswith("001")) + \
        sorted((k for k in regions if k.startswith("001")), key=lambda k: int(k[4:]))
    index_of = {k: i for i, k in enumerate(keys)}
    if len(keys) > 255:
        fail("too many regions for u8 indices")

    formats, rows = [], []
    for key in keys:
        r = regions[key]
        rid = "001" if key.startswith("001") else key
        cc = r["country_code"]
        members = cc_map.get(cc, [])
        main = members and (members[0] == rid)
        if not main:
            fail(f"{key}: calling code {cc} does not list it") if rid not in members else None

        def fmt_list(fl, kind):
            start = len(formats)
            for i, fm in enumerate(fl):
                where = f"{key} {kind}[{i}]"
                check_template(fm["format"], where)
                npfr = fm.get("national_prefix_formatting_rule", "")
                check_template(npfr, where, r"[0-9 ()-]|\\1")
                if npfr and npfr.count("\\1") != 1:
                    fail(f"{where}: national prefix rule {npfr!r}")
                ld = fm["leading_digits"][-1] if fm["leading_digits"] else None
                # High bit of the rule index: national prefix optional when
                # formatting (used as you type).
                optional = 0x8000 if fm.get("national_prefix_optional_when_formatting") else 0
                formats.append((pat(fm["pattern"], where), pat(ld, where),
                                strings.add(fm["format"]), strings.add(npfr) | optional))
            if len(fl) > 255 or len(formats) > 65535:
                fail("too many formats")
            return start, len(fl)

        # Only the main region of a calling code formats (libphonenumber
        # formats with the main region's metadata).
        nf = fmt_list(r["number_formats"], "format") if main else (0, 0)
        inf = fmt_list(r["intl_number_formats"], "intl_format") if main else (0, 0)
        npt = r.get("national_prefix_transform_rule") or ""
        check_template(npt, f"{key} transform", r"[0-9]|\\[1-9]")
        g = r["general"]
        types, tlens = [], []
        for t in TYPES:
            d = r.get(t)
            if d is None:
                types.append(0)
                tlens.append(0)
                continue
            if not d["possible_lengths"]:
                fail(f"{key} {t}: pattern without possible lengths")
            types.append(pat(d["pattern"], f"{key} {t}"))
            tlens.append(lens(d["possible_lengths"]))
        rows.append(dict(
            id=rid, cc=cc,
            idd=pat(r.get("international_prefix"), f"{key} international_prefix"),
            np=strings.add(r.get("national_prefix")),
            npp=pat(r.get("national_prefix_for_parsing"), f"{key} national_prefix_for_parsing"),
            npt=strings.add(npt),
            lead=pat(r.get("leading_digits"), f"{key} leading_digits"),
            same=r["same_mobile_and_fixed_line_pattern"],
            general=pat(g["pattern"], f"{key} general"),
            lens=lens(g["possible_lengths"]), local=lens(g["local_only_lengths"]),
            types=types, tlens=tlens, nf=nf, inf=inf))
        if g["possible_lengths"] == []:
            fail(f"{key}: no possible lengths")
    if len(lengths) > 255 or len(patterns.items) > 65535 or len(strings.items) > 0x7fff:
        fail("table too large for its index type")

    calling = []
    flat = []
    for cc in sorted(cc_map):
        start = len(flat)
        for rid in cc_map[cc]:
            key = "001_%d" % cc if rid == "001" else rid
            if key not in index_of:
                fail(f"calling code {cc}: unknown region {rid}")
            flat.append(index_of[key])
        calling.append((cc, start, len(cc_map[cc])))

    out = []
    w = out.append
    w("// generated by data/gen/phone.py from data/raw/phone/metadata.json — do not edit")
    w("//! Google's libphonenumber metadata, every region: " + snap["source"] + ".")
    w("//! Patterns are plain strings for `crate::phone::pattern`; indices 0 mean \"none\".")
    w("use crate::phone::meta::{r, Fmt, Region};")
    w("")
    # Patterns as one text plus end offsets: no 8-byte fat pointer per
    # pattern. Ends are stored modulo 2^16; PATTERN_WRAPS lists the indices
    # from which 65536 more must be added (ends only grow).
    ends, wraps, total = [], [], 0
    for p in patterns.items:
        if not p.isascii():
            fail(f"non-ASCII pattern {p!r}")
        total += len(p)
        while total >> 16 > len(wraps):
            wraps.append(len(ends))
        ends.append(total & 0xFFFF)
    w("/// Every pattern (general, per type, formats, prefixes), deduplicated and")
    w("/// concatenated; pattern `i` ends at `PATTERN_ENDS[i]` (+ 65536 for each")
    w("/// entry of `PATTERN_WRAPS` that is <= i) and starts where `i - 1` ends.")
    w("pub static PATTERN_TEXT: &str = \"\\")
    line = ""
    for p in patterns.items:
        q = p.replace("\\", "\\\\").replace('"', '\\"')
        if line and len(line) + len(q) > 100:
            w(line + "\\")
            line = ""
        line += q
    w(line + "\";")
    w("")
    w(f"/// End offset (mod 2^16) of each pattern in `PATTERN_TEXT`.")
    w(f"pub static PATTERN_ENDS: [u16; {len(ends)}] = [")
    for i in range(0, len(ends), 12):
        w("    " + " ".join(f"{e}," for e in ends[i:i + 12]))
    w("];")
    w("")
    w("/// Indices of `PATTERN_ENDS` from which the end offset is 65536 more.")
    w(f"pub static PATTERN_WRAPS: [u16; {len(wraps)}] = [{', '.join(map(str, wraps))}];")
    w("")
    w("/// National prefixes, transform rules and format templates, deduplicated.")
    w(f"pub static STRINGS: [&str; {len(strings.items)}] = [")
    for s in strings.items:
        w(f"    {rust_str(s)},")
    w("];")
    w("")
    w("/// Sets of possible lengths: bit n set when n digits are possible.")
    w(f"pub static LENGTHS: [u32; {len(lengths)}] = [")
    for i in range(0, len(lengths), 8):
        w("    " + " ".join(f"{m:#x}," for m in lengths[i:i + 8]))
    w("];")
    w("")
    w("/// Number formats: (pattern, last leading-digits pattern, template, national-prefix rule")
    w("/// with bit 15 set when the national prefix is optional when formatting).")
    w(f"pub static FORMATS: [Fmt; {len(formats)}] = [")
    for i in range(0, len(formats), 6):
        w("    " + " ".join(f"Fmt({a}, {b}, {c}, {d})," for a, b, c, d in formats[i:i + 6]))
    w("];")
    w("")
    w("/// Every region: geographic ones by code, then non-geographic entities (\"001\") by calling code.")
    w("/// r(id (\"00\" = \"001\"), cc, idd, np, npp, npt, lead, same_mobile_fixed, general, lens, local,")
    w("///   [fixed_line, mobile, toll_free, premium_rate, shared_cost, voip, personal_number, pager, uan, voicemail],")
    w("///   [their lengths], (formats, count), (intl formats, count))")
    w(f"pub static REGIONS: [Region; {len(rows)}] = [")
    for x in rows:
        rid = "00" if x["id"] == "001" else x["id"]
        w(f'    r(*b"{rid}", {x["cc"]}, {x["idd"]}, {x["np"]}, {x["npp"]}, {x["npt"]}, {x["lead"]}, '
          f'{str(x["same"]).lower()}, {x["general"]}, {x["lens"]}, {x["local"]}, '
          f'[{", ".join(map(str, x["types"]))}], [{", ".join(map(str, x["tlens"]))}], '
          f'({x["nf"][0]}, {x["nf"][1]}), ({x["inf"][0]}, {x["inf"][1]})),')
    w("];")
    w("")
    w("/// Calling codes, sorted: (code, start, count) into `CC_REGIONS`.")
    w(f"pub static CALLING_CODES: [(u16, u8, u8); {len(calling)}] = [")
    for i in range(0, len(calling), 8):
        w("    " + " ".join(f"({a}, {b}, {c})," for a, b, c in calling[i:i + 8]))
    w("];")
    w("")
    w("/// Regions of each calling code (indices into `REGIONS`), main region first.")
    w(f"pub static CC_REGIONS: [u8; {len(flat)}] = [")
    for i in range(0, len(flat), 20):
        w("    " + " ".join(f"{a}," for a in flat[i:i + 20]))
    w("];")
    if len(flat) > 255:
        fail("too many calling-code entries for u8 offsets")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
