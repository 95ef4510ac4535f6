"""Generates the email-domain tables from data/raw/email/.

Writes
  core/src/tables/email_domains.rs  what the browser build compiles in:
      PROVIDERS   the curated providers, in order, with their `closed` flag
      TYPOSQUATS  curated lookalikes that free-email-domains lists as free
  core/chunks/email-domains.tsv     fetched when an address is first typed:
      TLD         every IANA root-zone TLD (IDN TLDs as punycode)
      FREE        providers + every free-email-domains entry near a provider
                  (same name on another TLD, or a name within two edits):
                  the domains the typo search must leave alone
      REAL        curated company domains near a provider (not free)
      DISPOSABLE  the small disposable subset (criterion below)
  core/data/disposable-full.txt  the full disposable list (lookup service)
  core/data/free-full.txt        the full free-mailbox list (lookup service)

Browser disposable subset: a domain listed by all three public lists
(disposable-email-domains, mailchecker, free-email-domains: two independent
disposable lists agree, and it was seen as a real signup mailbox), a
registrable domain (no subdomain), not under a Freenom TLD (.cf .ga .gq .ml
.tk: Freenom stopped in 2023 and those domains mostly no longer resolve),
and whose name says what it is (mail, temp, trash, spam, minute, …): the
services a person finds and types by hand. Random-looking domains are bot
fodder that the lookup service catches with the full list on submit.

A free-email-domains entry that a disposable list also holds and that is
near a provider is a typosquat (gmial.com, hotmial.com, yaho.com): it is
left out of FREE so the typo search corrects it.

Python 3 standard library only, offline and deterministic. Run by
`make tables`.
"""
import gzip
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RAW = os.path.join(ROOT, "data", "raw", "email")
OUT = os.path.join(ROOT, "core", "src", "tables", "email_domains.rs")
FULL_DIR = os.path.join(ROOT, "core", "data")

FREENOM = {"cf", "ga", "gq", "ml", "tk"}
KEYWORDS = ["mail", "temp", "tmp", "trash", "spam", "minute", "10min", "throw", "fake",
            "burn", "junk", "jetable", "yop", "guerrilla", "dispos", "drop", "inbox", "anon"]
# Second-level labels under a ccTLD that form a public suffix (co.uk, com.br…).
SECOND_LEVEL = {"co", "com", "net", "org", "or", "ne", "ac", "gov", "edu", "gouv"}


def load_json(name):
    path = os.path.join(RAW, name)
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def clean(domains):
    out = set()
    for d in domains:
        d = d.strip().lower().rstrip(".")
        if d and d.isascii() and " " not in d and "." in d:
            out.add(d)
    return out


def split(domain):
    """(name, suffix): suffix is the TLD, or two labels for co.uk-style ones.
    Mirrors `split_suffix` in core/src/email/mod.rs."""
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL:
        return ".".join(labels[:-2]), ".".join(labels[-2:])
    return ".".join(labels[:-1]), labels[-1]


def dl(a, b):
    """Optimal string alignment distance (Damerau-Levenshtein, adjacent transpositions)."""
    n, m = len(a), len(b)
    prev2, prev = None, list(range(m + 1))
    for i in range(1, n + 1):
        cur = [i] + [0] * m
        for j in range(1, m + 1):
            c = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + c)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[m]


def tld_ascii(t):
    t = t.lower()
    return t if t.isascii() else "xn--" + t.encode("punycode").decode("ascii")


def write_full(path, header, domains):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for h in header:
            f.write("# " + h + "\n")
        for d in sorted(domains):
            f.write(d + "\n")


def main():
    tlds = sorted({tld_ascii(t) for t in load_json("tlds.json")})
    disposable = clean(load_json("disposable-email-domains.json.gz"))
    wildcards = clean(load_json("disposable-email-wildcards.json"))
    mailchecker = clean(load_json("mailchecker.json.gz"))
    free = clean(load_json("free-email-domains.json.gz"))

    providers, real, squats = [], set(), set()
    with open(os.path.join(RAW, "providers.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.split("#", 1)[0].split()
            if not parts:
                continue
            kind, dom, flags = parts[0], parts[1].lower(), parts[2:]
            if kind == "provider":
                assert dom not in [p for p, _ in providers], dom
                providers.append((dom, flags == ["closed"]))
            elif kind == "real":
                real.add(dom)
            elif kind == "typosquat":
                squats.add(dom)
            else:
                raise SystemExit("providers.txt: unknown entry %r" % line)
    tld_set = set(tlds)
    for d, _ in providers:
        assert split(d)[1].split(".")[-1] in tld_set, d
        assert d not in disposable and d not in mailchecker, "provider %s is listed disposable" % d

    dispo_any = disposable | mailchecker | wildcards
    names = {split(p)[0] for p, _ in providers}
    long_names = [n for n in names if len(n) >= 5]

    def near_provider(d):
        # What core/src/email/typo.rs may correct, whatever the TLD: the same
        # name, one edit on a name of 5+ letters, two edits on 10+.
        n = split(d)[0]
        if n in names:
            return True
        for p in long_names:
            if abs(len(n) - len(p)) <= 2:
                k = dl(n, p)
                if k == 1 or (k == 2 and len(p) >= 10):
                    return True
        return False

    near = {d for d in free if near_provider(d)}
    typosquats = {d for d in near if d in dispo_any} | squats
    known_free = (near - typosquats) | {p for p, _ in providers}
    assert not (known_free & real), known_free & real

    subset = set()
    for d in disposable & mailchecker & free:
        name, suffix = split(d)
        if "." in name or suffix.split(".")[-1] in FREENOM:
            continue
        if any(k in name for k in KEYWORDS) and d not in known_free and d not in real:
            subset.add(d)

    src = "data/raw/email/{providers.txt,tlds.json,free-email-domains.json.gz,disposable-email-domains.json.gz,disposable-email-wildcards.json,mailchecker.json.gz}"
    lines = ["// generated by data/gen/email.py from %s — do not edit" % src,
             "//! Email domain tables (see data/SOURCES.md, \"Email\", and data/gen/email.py).",
             ""]
    for d, _ in providers:
        if not re.fullmatch(r"[a-z0-9.-]+", d):
            raise SystemExit(f"email.py: provider {d!r}")
    lines += ["/// Lookalike domains that free-email-domains lists but fiable corrects (curated).",
              "pub static TYPOSQUATS: &[&str] = &["]
    for d in sorted(squats):
        lines.append('    "%s",' % d)
    lines.append("];")
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")

    # The long lists: a data chunk the browser fetches when an address is
    # first typed (crate::email::lists). A line: table, length, the
    # table's domains of that length concatenated (sorted).
    # First the curated providers, most used first, a closed brand's domain
    # ending in `!`, separated by spaces, after their count: the typo search
    # is the email check's, which waits for this chunk anyway (0.3 KB gzip
    # off the Wasm every page loads).
    chunk = ["provider\t%d\t%s" % (len(providers), " ".join(d + ("!" if closed else "") for d, closed in providers))]
    # The TLDs ride along: only the email check reads them, and it waits
    # for this chunk anyway (5 KB gzip off the Wasm every page loads).
    for tag, domains in (("tld", tlds), ("free", known_free), ("real", real), ("disposable", subset)):
        by_len = {}
        for d in sorted(domains):
            assert d.isascii() and "\t" not in d and "\n" not in d, d
            by_len.setdefault(len(d), []).append(d)
        for n in sorted(by_len):
            chunk.append("%s\t%d\t%s" % (tag, n, "".join(by_len[n])))
    with open(os.path.join(ROOT, "core", "chunks", "email-domains.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(chunk) + "\n")

    os.makedirs(FULL_DIR, exist_ok=True)
    write_full(os.path.join(FULL_DIR, "disposable-full.txt"),
               ["generated by data/gen/email.py — do not edit",
                "Disposable email domains: union of npm disposable-email-domains 1.0.62",
                "(index.json + wildcard.json) and mailchecker 6.0.21 (both MIT).",
                "A domain is disposable if it or a parent domain is listed.",
                "%d domains" % len(dispo_any)],
               dispo_any)
    write_full(os.path.join(FULL_DIR, "free-full.txt"),
               ["generated by data/gen/email.py — do not edit",
                "Free mailbox domains: npm free-email-domains 1.12.6 (MIT) plus fiable's",
                "curated providers (data/raw/email/providers.txt).",
                "%d domains" % len(free | known_free)],
               free | known_free)
    print("email: %d TLDs, %d providers, %d free near providers, %d typosquats, "
          "%d browser disposable, %d full disposable, %d full free"
          % (len(tlds), len(providers), len(known_free), len(typosquats), len(subset),
             len(dispo_any), len(free | known_free)))


if __name__ == "__main__":
    main()
