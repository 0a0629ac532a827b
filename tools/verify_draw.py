#!/usr/bin/env python3
"""Independent re-derivation of a spotcheck sample, for auditors.

This is an independent implementation of algorithm ``spotcheck-draw-v1`` as
written in SAMPLING.md, in Python 3.11 with the standard library only. It was
written from SAMPLING.md, the test vectors and the example campaign, without
reading spotcheck's source, so that a published sample can be re-derived
without trusting the tool that produced it.

    python3 tools/verify_draw.py DIR              # DIR holds draw.toml, sample.csv, inputs
    python3 tools/verify_draw.py --vectors DIR    # SAMPLING.md §12 test vectors

Exit status: 0 all identical, 1 some difference, 2 unreadable or invalid input.
Section numbers (§n) below refer to SAMPLING.md.
"""
import argparse
import codecs
import csv
import hashlib
import io
import os
import sys
import tomllib
from decimal import Decimal
from fractions import Fraction
from math import ceil, comb
from pathlib import Path

ALGORITHM = "spotcheck-draw-v1"
LEVELS = ("county", "township", "village")
M32, M64 = 0xFFFFFFFF, 1 << 64
# Unicode White_Space property (the meaning assumed for "white space", §3/§4).
WHITE_SPACE = frozenset(chr(c) for c in [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680,
                                          *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
                                          0x205F, 0x3000])


class InputError(Exception):
    """Unreadable input, or rules that SAMPLING.md calls invalid (exit 2)."""


def strip_ws(s):
    return s.strip("".join(WHITE_SPACE))


# ---------------------------------------------------------------- §6 ChaCha20
def _chacha20_block(key_words, counter):
    """One 64-byte block as 16 words: RFC 8439 §2.3, 64-bit counter, 64-bit nonce 0."""
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *key_words,
         counter & M32, counter >> 32, 0, 0]
    x = s[:]

    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & M32; x[d] ^= x[a]; x[d] = ((x[d] << 16) | (x[d] >> 16)) & M32
        x[c] = (x[c] + x[d]) & M32; x[b] ^= x[c]; x[b] = ((x[b] << 12) | (x[b] >> 20)) & M32
        x[a] = (x[a] + x[b]) & M32; x[d] ^= x[a]; x[d] = ((x[d] << 8) | (x[d] >> 24)) & M32
        x[c] = (x[c] + x[d]) & M32; x[b] ^= x[c]; x[b] = ((x[b] << 7) | (x[b] >> 25)) & M32

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return [(a + b) & M32 for a, b in zip(x, s)]


class Stream:
    """The random stream of one stratum (§6.2-§6.4)."""

    def __init__(self, key):
        self.key_words = [int.from_bytes(key[i:i + 4], "little") for i in range(0, 32, 4)]
        self.counter, self.buf = 0, []

    def word(self):
        if not self.buf:
            self.buf = _chacha20_block(self.key_words, self.counter)
            self.counter += 1
        return self.buf.pop(0)

    def word64(self):  # §6.3: low half first
        lo = self.word()
        return lo + (self.word() << 32)

    def below(self, m):  # §6.4: rejection sampling
        r = M64 % m
        while True:
            v = self.word64()
            if v < M64 - r:
                return v % m


def stratum_key(S, label):  # §6.1
    return hashlib.sha256(b"spotcheck-draw-v1\0" + S.encode() + b"\0" + label.encode()).digest()


# ---------------------------------------------------------- §2 commitment, §3 seed
def commitment(entries):
    """entries: (path, sha256 hex); sorted by path as UTF-8 bytes."""
    text = "spotcheck-commitment-v1\n" + "".join(
        f"{h}  {p}\n" for p, h in sorted(entries, key=lambda e: e[0].encode()))
    return hashlib.sha256(text.encode()).hexdigest()


def normalize_seed(seed):
    out = (chr(ord(c) - 0xFF10 + 0x30) if "\uff10" <= c <= "\uff19" else c
           for c in seed if c not in WHITE_SPACE)
    return "".join(out)


def check_seed_policy(S, rules):
    pol = rules.get("seed", {})
    if len(S) < pol.get("min_length", 20):
        raise InputError(f"seed {S!r} shorter than min_length")
    if pol.get("digits_only", True) and not all("0" <= c <= "9" for c in S):
        raise InputError(f"seed {S!r} is not digits only")


# ---------------------------------------------------------------- §4 population
# Python's gb18030 codec follows GB18030-2000; spotcheck decodes like the WHATWG
# Encoding Standard's gb18030 decoder (GB18030-2005 index with the 2022 changes).
# These are all the differences (checked over every 2-byte code).
_WHATWG_GB = {0xE5E5: 0x3000, 0xE7C7: 0x1E3F, 0x1E3F: 0xE7C7,
              **dict(zip(range(0xE78D, 0xE797), [0xFE10, 0xFE12, 0xFE11, *range(0xFE13, 0xFE1A)])),
              **dict(zip([0xE81E, 0xE826, 0xE82B, 0xE82C, 0xE832, 0xE843, 0xE854, 0xE864],
                         range(0x9FB4, 0x9FBC)))}


def _gb_euro(err):  # WHATWG: a lone byte 0x80 is U+20AC
    if isinstance(err, UnicodeDecodeError) and err.object[err.start] == 0x80:
        return "\u20ac", err.start + 1
    raise err


codecs.register_error("spotcheck-gb18030", _gb_euro)


def decode(data, encoding):
    if encoding == "gb18030":
        return data.decode("gb18030", "spotcheck-gb18030").translate(_WHATWG_GB)
    return data.decode(encoding)


def read_csv(data, encoding, what):
    try:
        text = decode(data, encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise InputError(f"{what}: cannot decode as {encoding}: {e}")
    text = text.removeprefix("\ufeff")
    rows = [[strip_ws(c) for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
    return [r for r in rows if any(r)]


def norm_header(h):
    return "".join(c for c in h if c not in WHITE_SPACE).lower()


def code_list(entries, rules_dir, what):
    """Codes of [[exclude]] / [[include]] entries: inline codes + first column of files."""
    codes = set()
    for e in entries:
        codes.update(strip_ws(str(c)) for c in e.get("codes", []))
        if "file" in e:
            path = rules_dir / e["file"]
            try:
                data = path.read_bytes()
            except OSError as err:
                raise InputError(f"{what} list {path}: {err}")
            try:  # §2/§4.3 do not say; spotcheck accepts UTF-8 or GB18030 lists
                data.decode("utf-8")
                enc = "utf-8"
            except UnicodeDecodeError:
                enc = "gb18030"
            codes.update(r[0] for r in read_csv(data, enc, str(path))[1:] if r and r[0])
    return codes


def parse_size(cell, code):  # §4.4: a non-negative whole number in ASCII digits
    digits = cell.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        raise InputError(f"village {code}: size {cell!r} is not a non-negative integer")
    return int(digits)


class Village:
    __slots__ = ("code", "name", "ckey", "cname", "tkey", "tname", "sizes", "keys")


def load_population(rules, rules_dir, frame_bytes, encoding):
    """The villages left after exclusions (§4.1-§4.4) and forced keys per level (§4.6)."""
    fr = rules.get("frame", {})
    rows = read_csv(frame_bytes, encoding, "frame")
    if not rows:
        raise InputError("frame is empty")
    header = {norm_header(h): i for i, h in enumerate(rows[0])}

    def col(role):
        if role not in fr:
            return None
        if norm_header(fr[role]) not in header:
            raise InputError(f"frame has no column {fr[role]!r} ({role})")
        return header[norm_header(fr[role])]

    ci = {r: col(r) for r in ("code", "name", "county", "county_code", "township", "township_code")}
    if ci["code"] is None:
        raise InputError("[frame] names no code column")
    size_cols = {s: header.get(norm_header(s)) for s in fr.get("sizes", [])}
    if None in size_cols.values():
        raise InputError(f"frame lacks a size column of {fr.get('sizes')}")
    excluded = code_list(rules.get("exclude", []), rules_dir, "exclude")
    villages, seen, cnames, tnames = [], set(), {}, {}
    for r in rows[1:]:
        if len(r) != len(rows[0]):
            raise InputError(f"frame row {r[:1]} has {len(r)} cells, the header {len(rows[0])}")
        cell = lambda role: "" if ci[role] is None else r[ci[role]]
        v = Village()
        v.code, v.name, v.cname, v.tname = cell("code"), cell("name"), cell("county"), cell("township")
        v.ckey = cell("county_code") if ci["county_code"] is not None else v.cname
        v.tkey = cell("township_code") if ci["township_code"] is not None else f"{v.ckey}/{v.tname}"
        if not v.code or v.code in seen:
            raise InputError(f"village code {v.code!r} is empty or appears twice in the frame")
        seen.add(v.code)
        v.sizes = {s: parse_size(r[i], v.code) for s, i in size_cols.items()}
        for key, name, names in ((v.ckey, v.cname, cnames), (v.tkey, v.tname, tnames)):
            if names.setdefault(key, name) != name:  # spotcheck refuses such frames
                raise InputError(f"unit {key} is named both {names[key]!r} and {name!r}")
        v.keys = {"county": v.ckey, "township": v.tkey, "village": v.code}
        if not excluded & {v.code, v.tkey, v.ckey}:
            villages.append(v)
    forced = {lvl: set() for lvl in LEVELS}
    for code in code_list(rules.get("include", []), rules_dir, "include"):
        hit = False
        for v in villages:
            for depth, lvl in enumerate(LEVELS):
                if v.keys[lvl] == code:  # force this unit and every unit above it
                    hit = True
                    for above in LEVELS[:depth + 1]:
                        forced[above].add(v.keys[above])
        if not hit:
            raise InputError(f"included code {code} is not in the (remaining) frame")
    return villages, forced


def group(villages, level):
    """Units of `level` among `villages`, sorted by key (§4.5): [(key, [villages])]."""
    units = {}
    for v in villages:
        units.setdefault(v.keys[level], []).append(v)
    return sorted(units.items())


def unit_size(unit, column):  # §4.4
    return sum(v.sizes[column] for v in unit[1])


# ---------------------------------------------------------------- §7 allocation
def allocate(spec, strata, level):
    """{stratum key: n_h} for n = {allocate = ...} (§7)."""
    T, a, b = spec["total"], spec.get("min", 1), spec.get("max")
    Ns = {h: len(group(vs, level)) for h, vs in strata}
    how, by = spec["allocate"], spec.get("by", "units")
    if how == "equal":
        w = {h: 1 for h in Ns}
    elif how == "proportional":
        w = {h: Ns[h] if by == "units" else sum(v.sizes[by] for v in vs) for h, vs in strata}
    else:
        raise InputError(f"unknown allocate = {how!r}")
    lo = {h: min(a, N) for h, N in Ns.items()}
    hi = {h: N if b is None else min(b, N) for h, N in Ns.items()}
    if not sum(lo.values()) <= T <= sum(hi.values()):
        raise InputError(f"allocation total {T} outside [{sum(lo.values())}, {sum(hi.values())}]")
    fixed, order = {}, [h for h, _ in strata]
    while True:
        F = [h for h in order if h not in fixed]
        R = T - sum(fixed.values())
        ww = {h: w[h] for h in F} if sum(w[h] for h in F) else {h: 1 for h in F}
        W = sum(ww.values())
        n = {h: R * ww[h] // W for h in F}
        extra = R - sum(n.values())
        for h in sorted(F, key=lambda h: -(R * ww[h] % W))[:extra]:  # stable: ties by code
            n[h] += 1
        low = [h for h in F if n[h] < lo[h]]
        high = [h for h in F if n[h] > hi[h]]
        if low or high:
            fixed.update({h: lo[h] for h in low} if low else {h: hi[h] for h in high})
            continue
        fixed.update(n)
        break
    if sum(fixed.values()) != T:
        raise InputError("allocation does not sum to its total")
    return fixed


# ---------------------------------------------------------------- §7-§10 one stratum
def select(stage, units, n, label, S, forced):
    """[(unit, stage probability, certainty flag, reserve rank or None)] in selection order."""
    N = len(units)
    if n >= N:  # taken whole (§7)
        return [(u, Fraction(1), "forced" if u[0] in forced else "all", None) for u in units]
    F = [u for u in units if u[0] in forced]
    C = [u for u in units if u[0] not in forced]
    m, k = n - len(F), stage.get("reserve", 0)
    if m < 0:
        raise InputError(f"{label}: more forced units ({len(F)}) than n = {n}")
    out = [(u, Fraction(1), "forced", None) for u in F]
    method = stage.get("method", "srs")
    if method in ("srs", "rivest"):  # §8, §9: main sample, then reserves, all m / |C|
        if method == "srs":
            picks = fisher_yates(len(C), m + k, Stream(stratum_key(S, label)))
        else:
            picks = [i - 1 for i in rivest(f"{S}/{label}", len(C), min(m + k, len(C)))]
        p = Fraction(m, len(C))
        out += [(C[i], p, "", None if r < m else r - m + 1) for r, i in enumerate(picks)]
    elif method == "pps":  # §10
        out += pps(C, m, k, stage["size"], Stream(stratum_key(S, label)), label)
    else:
        raise InputError(f"unknown method {method!r}")
    return out


def fisher_yates(size, length, stream):  # §8: prefix of a Fisher-Yates shuffle
    a = list(range(size))
    for i in range(min(length, size)):
        j = i + stream.below(size - i)
        a[i], a[j] = a[j], a[i]
    return a[:min(length, size)]


def rivest(seed_string, size, count):  # §9: 1-based positions, distinct, in draw order
    picks, seen, i = [], set(), 0
    while len(picks) < count:
        i += 1
        h = int.from_bytes(hashlib.sha256(f"{seed_string},{i}".encode()).digest(), "big")
        pick = 1 + h % size
        if pick not in seen:
            seen.add(pick)
            picks.append(pick)
    return picks


def pps(C, m, k, column, stream, label):  # §10: systematic PPS with certainty units
    x = [unit_size(u, column) for u in C]
    if any(xi == 0 for xi in x):
        raise InputError(f"{label}: a non-forced unit has size 0 in {column!r}")
    certain, mp, X = set(), m, sum(x)
    while True:  # §10.1
        new = {i for i in range(len(C)) if i not in certain and mp * x[i] >= X}
        if not new:
            break
        certain |= new
        mp = m - len(certain)
        X = sum(x[i] for i in range(len(C)) if i not in certain)
        if mp == 0:
            break
    prob = [Fraction(1) if i in certain else Fraction(mp * x[i], X) if X else Fraction(0)
            for i in range(len(C))]
    out = [(C[i], prob[i], "size", None) for i in sorted(certain)]
    chosen = set(certain)
    if mp > 0 and X > 0:  # §10.2
        u = stream.below(X)
        rest = [i for i in range(len(C)) if i not in certain]
        j, cum = 0, 0
        for i in rest:  # points u + j*X ascend with j, so one pass suffices
            lo, cum = cum, cum + x[i]
            while j < mp and mp * lo <= u + j * X < mp * cum:
                out.append((C[i], prob[i], "", None))
                chosen.add(i)
                j += 1
    left = [i for i in range(len(C)) if i not in chosen]  # §10.3 reserves
    for r, pos in enumerate(fisher_yates(len(left), k, stream)):
        out.append((C[left[pos]], prob[left[pos]], "", r + 1))
    return out


# ---------------------------------------------------------------- §5 the design, §11 output
def derive(rules, villages, forced, S):
    """The rows of sample.csv (lists of strings), header first."""
    stages = rules.get("stage", [])
    levels = [st.get("level") for st in stages]
    if not stages or levels[-1] != "village" or any(
            lv not in LEVELS for lv in levels) or any(
            LEVELS.index(a) >= LEVELS.index(b) for a, b in zip(levels, levels[1:])):
        raise InputError(f"stage levels {levels} must go strictly down to village")
    alloc = {}
    for k, st in enumerate(stages):
        if isinstance(st.get("n"), dict) and "plan" not in st["n"]:
            if any(s.get("n") != "all" for s in stages[:k]):
                raise InputError(f"stage {k + 1}: allocate needs n = 'all' in earlier stages")
            strata = group(villages, levels[k - 1]) if k else [("", villages)]
            alloc[k] = allocate(st["n"], strata, levels[k])
    rows = [["code", "name", "county_code", "county", "township_code", "township", "stratum",
             "order", *(f"pi_{lv}" for lv in levels), "pi", "certainty", "reserve_rank"]]

    def walk(k, vs, path, probs):
        st, units = stages[k], group(vs, levels[k])
        label = f"{levels[k]}:{'/'.join(path)}"
        n = st.get("n")
        if n == "all":
            n = len(units)
        elif isinstance(n, dict) and "plan" in n:
            n = attribute_n(n, len(units))
            planned.append({"stage": k + 1, "stratum": "/".join(path), "units": len(units), "n": n})
        elif isinstance(n, dict):
            n = alloc[k][path[-1] if path else ""]
        elif isinstance(n, int) and not isinstance(n, bool):
            if len(units) < n and st.get("if_short", "error") != "take-all":
                raise InputError(f"{label}: only {len(units)} units for n = {n}")
        else:
            raise InputError(f"stage {k + 1}: bad n = {n!r}")
        picks = select(st, units, n, label, S, forced[levels[k]])
        if k + 1 < len(stages):
            for unit, p, _, rank in picks:
                if rank is None:
                    walk(k + 1, unit[1], path + [unit[0]], probs + [p])
            return
        for order, (unit, p, flag, rank) in enumerate(picks, 1):
            v, ps = unit[1][0], probs + [p]
            pi = Fraction(1)
            for q in ps:
                pi *= q
            rows.append([v.code, v.name, v.ckey, v.cname, v.tkey, v.tname, "/".join(path),
                         str(order), *map(dec12, ps), dec12(pi), flag,
                         "" if rank is None else str(rank)])

    planned = []
    walk(0, villages, [], [])
    return rows, planned


def rate(v):
    """A rate from the rules: a TOML number (read as Decimal) or "5%"."""
    if isinstance(v, str) and v.strip().endswith("%"):
        return Fraction(Decimal(v.strip()[:-1])) / 100
    return Fraction(Decimal(str(v)))


def attribute_n(spec, N):  # §7 and §14: the hypergeometric attribute plan, exactly
    if spec.get("plan") != "attribute":
        raise InputError(f"unknown plan {spec.get('plan')!r}")
    t, c = rate(spec["tolerable"]), rate(spec["confidence"])
    e = rate(spec.get("expected", 0))
    K = ceil(t * N)
    for n in range(1, N + 1):
        x = spec["expected_count"] if "expected_count" in spec else ceil(e * n)
        if x >= n:
            continue
        p = Fraction(sum(comb(K, i) * comb(N - K, n - i) for i in range(min(x, K) + 1)), comb(N, n))
        if p <= 1 - c:
            return n
    return N


def dec12(q):  # §11: exact fraction, 12 decimals, half up
    v = (2 * q.numerator * 10**12 + q.denominator) // (2 * q.denominator)
    return f"{v // 10**12}.{v % 10**12:012d}"


def render(rows):  # §11: BOM, "\n", quoting only where needed
    def field(f):
        return '"' + f.replace('"', '""') + '"' if any(c in f for c in ',"\r\n') else f
    return b"\xef\xbb\xbf" + "".join(",".join(map(field, r)) + "\n" for r in rows).encode()


# ---------------------------------------------------------------- comparison and CLI
def compare(published, derived, where):
    """Differences between published and derived sample.csv bytes, as text lines."""
    if published == derived:
        return []
    pub = list(csv.reader(io.StringIO(published.decode("utf-8", "replace")
                                      .removeprefix("\ufeff"), newline="")))
    der = list(csv.reader(io.StringIO(derived.decode().removeprefix("\ufeff"), newline="")))
    diffs = []
    if pub[:1] != der[:1]:
        diffs.append(f"{where}: header: published {pub[:1]} vs derived {der[:1]}")
    head = der[0]
    P = {r[0]: r for r in pub[1:] if r}
    if len(P) != len([r for r in pub[1:] if r]):
        diffs.append(f"{where}: the published file lists a village more than once")
    D = {r[0]: r for r in der[1:] if r}
    for code, d in D.items():
        if code not in P:
            diffs.append(f"{where}: derived row missing from the published file: {','.join(d)}")
            continue
        p = P[code]
        for i, name in enumerate(head):
            pv, dv = p[i] if i < len(p) else "<none>", d[i]
            if pv != dv:
                diffs.append(f"{where}: {code} {name}: published {pv!r} vs derived {dv!r}")
    diffs += [f"{where}: published row not derived: {','.join(r)}" for c, r in P.items() if c not in D]
    if not diffs:
        pc, dc = [r[0] for r in pub[1:] if r], [r[0] for r in der[1:] if r]
        if pc != dc:
            i = next(i for i, (a, b) in enumerate(zip(pc, dc)) if a != b)
            diffs.append(f"{where}: same rows in a different order; line {i + 2} is {pc[i]} "
                         f"in the published file but {dc[i]} when derived")
        else:
            diffs.append(f"{where}: same cells but the bytes differ (BOM, quoting or line ends)")
    return diffs


def read_bytes(path):
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e}")


def read_toml(path):
    try:
        # Floats as Decimal: rates are exact decimals as written (§7).
        return tomllib.loads(read_bytes(path).decode("utf-8"), parse_float=Decimal)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: {e}")


def verify_dir(d):
    draw, diffs = read_toml(d / "draw.toml"), []
    if draw.get("algorithm") != ALGORITHM:
        raise InputError(f"algorithm is {draw.get('algorithm')!r}, not {ALGORITHM!r}")
    entries = []
    for inp in draw.get("inputs", []):
        h = hashlib.sha256(read_bytes(d / inp["path"])).hexdigest()
        entries.append((inp["path"], h))
        if h != inp.get("sha256"):
            diffs.append(f"input {inp['path']}: sha256 {h} differs from draw.toml {inp.get('sha256')}")
    if commitment(entries) != draw.get("commitment"):
        diffs.append(f"commitment: derived {commitment(entries)} vs draw.toml {draw.get('commitment')}")
    S = normalize_seed(draw.get("seed", ""))
    if S != draw.get("seed_normalized"):
        diffs.append(f"seed: normalises to {S!r}, draw.toml says {draw.get('seed_normalized')!r}")
    rules_path = d / draw["rules"]
    rules = read_toml(rules_path)
    used = [draw["rules"], draw["frame"]] + [  # every file the draw reads must be committed
        os.path.relpath(rules_path.parent / e["file"], d)
        for e in rules.get("exclude", []) + rules.get("include", []) if "file" in e]
    covered = {os.path.normpath(p) for p, _ in entries}
    diffs += [f"{u}: used by the draw but not among the committed [[inputs]]"
              for u in used if os.path.normpath(u) not in covered]
    check_seed_policy(S, rules)
    enc = draw.get("frame_encoding", "utf-8")
    if enc not in ("utf-8", "gb18030"):
        raise InputError(f"unknown frame_encoding {enc!r}")
    villages, forced = load_population(rules, rules_path.parent, read_bytes(d / draw["frame"]), enc)
    rows, planned = derive(rules, villages, forced, S)
    if planned != draw.get("planned", []):
        diffs.append("draw.toml: [[planned]] differs from the n the rules give per stratum")
    published = read_bytes(d / draw.get("sample", "sample.csv"))
    if "sample_sha256" in draw and hashlib.sha256(published).hexdigest() != draw["sample_sha256"]:
        diffs.append("sample.csv: its sha256 differs from draw.toml's sample_sha256")
    diffs += compare(published, render(rows), "sample.csv")
    return len(rows) - 1, diffs


def self_checks():
    """§12 stream check, RFC 8439 §A.1 #1 and Rivest's published sampler.py values."""
    diffs = []

    def check(name, got, want):
        print(f"{'OK' if got == want else 'FAIL'}: {name}: {got}")
        if got != want:
            diffs.append(f"{name}: got {got}, expected {want}")

    key = stratum_key("12345678901234567890", "township:110101")
    check("stream key", key.hex(), "cf31c7051b0a138ff66baef79336ccccc281e49222411f52b39a2abe8eaafcb2")
    s = Stream(key)
    check("first words", [f"{s.word():08x}" for _ in range(4)],
          ["e787a3fd", "87d3f2c4", "c0fa6680", "4d263014"])
    check("first word64", f"{Stream(key).word64():016x}", "87d3f2c4e787a3fd")
    check("below(3520)", Stream(key).below(3520), 2301)
    z = Stream(bytes(32))
    check("RFC 8439 A.1 #1", [f"{z.word():08x}" for _ in range(2)], ["ade0b876", "903df1a0"])
    for seed, want in (("1", [97, 89, 163]), ("0", [905, 573, 160]), ("abcde", [247, 427, 157])):
        check(f"Rivest seed {seed!r}", rivest(seed, 1000, 3), want)
    return diffs


def verify_vectors(d):
    diffs = self_checks()
    vectors = [t for t in sorted(d.glob("*.toml")) if t.with_name(t.stem + ".sample.csv").exists()]
    if not vectors:
        raise InputError(f"no X.toml with an X.sample.csv in {d}")
    for t in vectors:
        expected = t.with_name(t.stem + ".sample.csv")
        rules = read_toml(t)
        villages, forced = load_population(rules, t.parent, read_bytes(d / "frame.csv"), "utf-8")
        got = compare(read_bytes(expected),
                      render(derive(rules, villages, forced, "12345678901234567890")[0]), t.name)
        print(f"{'OK' if not got else 'FAIL'}: vector {t.name}")
        diffs += got
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="campaign folder, or the vectors folder with --vectors")
    ap.add_argument("--vectors", action="store_true", help="check SAMPLING.md §12 test vectors")
    a = ap.parse_args()
    try:
        if a.vectors:
            diffs = verify_vectors(a.dir)
        else:
            n, diffs = verify_dir(a.dir)
    except (InputError, KeyError, TypeError, AttributeError) as e:
        print(f"ERROR: {type(e).__name__ if not isinstance(e, InputError) else 'input'}: {e}",
              file=sys.stderr)
        return 2
    for line in diffs:
        print(f"DIFF: {line}")
    if diffs:
        return 1
    print("OK: all vectors re-derived identically" if a.vectors
          else f"OK: {n} rows re-derived identically")
    return 0


if __name__ == "__main__":
    sys.exit(main())
