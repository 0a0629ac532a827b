#!/usr/bin/env python3
"""Independent re-derivation of a spotcheck sample, for auditors.

This implements algorithm ``spotcheck-draw-v2`` (and ``v1``, which differs only
in §11) as SAMPLING.md specifies it, the further rounds of a sequential plan
(``spotcheck-rounds-v1``, §15) and the household lists of §16, in Python 3.11
with the standard library only. It shares no code with spotcheck,
so a published sample can be re-derived without trusting the tool that
produced it; where SAMPLING.md says what makes rules or inputs invalid, this
refuses them too, except an integer rate written with a sign or in another base
(`+0`, `0x0`), which tomllib reads as a plain integer.

    python3 tools/verify_draw.py DIR              # DIR holds draw.toml, sample.csv, inputs
                                                  # (and households.csv with a household stage)
    python3 tools/verify_draw.py --vectors DIR    # SAMPLING.md §12, §15 and §16 test vectors

Exit status: 0 all identical, 1 some difference, 2 unreadable or invalid input.
Section numbers (§n) below refer to SAMPLING.md.
"""
import argparse
import codecs
import csv
import hashlib
import io
import re
import sys
import tomllib
from fractions import Fraction
from math import ceil, comb
from pathlib import Path, PurePosixPath

# Each algorithm, with whether it defuses the text fields of sample.csv (§11).
ALGORITHMS = {"spotcheck-draw-v1": False, "spotcheck-draw-v2": True}
ROUNDS_ALGORITHM = "spotcheck-rounds-v1"  # §15
LEVELS = ("county", "township", "village")
M32, M64 = 0xFFFFFFFF, 1 << 64
MAX_STRATUM_SIZE = 1 << 40  # §10
# The 25 characters with the Unicode White_Space property (SAMPLING.md, Conventions).
WHITE_SPACE = "".join(chr(c) for c in [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680,
                                        *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F,
                                        0x205F, 0x3000])
csv.field_size_limit(sys.maxsize)


class InputError(Exception):
    """Unreadable input, or rules that SAMPLING.md calls invalid (exit 2)."""


class TomlFloat(str):
    """A TOML float kept as written: rates are exact decimals (§7)."""


def trim(s):
    return s.strip(WHITE_SPACE)


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


def seed_policy(rules):
    pol = table(rules, "seed", ("min_length", "digits_only", "basis"), required=False)
    min_length, digits_only = pol.get("min_length", 20), pol.get("digits_only", True)
    if not is_uint(min_length) or min_length < 1 or not isinstance(digits_only, bool):
        raise InputError("[seed]: min_length must be an integer >= 1 and digits_only true or false")
    return min_length, digits_only


def check_seed(S, rules):  # §3
    min_length, digits_only = seed_policy(rules)
    if digits_only and not all("0" <= c <= "9" for c in S):
        raise InputError(f"seed {S!r} is not digits only")
    if len(S) < min_length:
        raise InputError(f"seed {S!r} is shorter than min_length {min_length}")


# ---------------------------------------------------------------- §4.1 text
# Python's gb18030 codec follows GB18030-2000. SAMPLING.md §4.1 lists the 22
# byte sequences on which the WHATWG decoder differs. The 2-byte and 4-byte
# ones decode in Python to code points that nothing else decodes to, so
# mapping those code points afterwards is exact; a lone 0x80, invalid in
# Python, is the euro sign.
_WHATWG_GB = {0xE5E5: 0x3000, 0xE7C7: 0x1E3F, 0x1E3F: 0xE7C7,
              **dict(zip(range(0xE78D, 0xE797), [0xFE10, 0xFE12, 0xFE11, *range(0xFE13, 0xFE1A)])),
              **dict(zip([0xE81E, 0xE826, 0xE82B, 0xE82C, 0xE832, 0xE843, 0xE854, 0xE864],
                         range(0x9FB4, 0x9FBC)))}


def _gb_euro(err):
    if isinstance(err, UnicodeDecodeError) and err.object[err.start] == 0x80:
        return "\u20ac", err.start + 1
    raise err


codecs.register_error("spotcheck-gb18030", _gb_euro)


def encoding_name(name):
    """frame_encoding as draw.toml gives it (§1)."""
    n = trim(name).lower().replace("-", "").replace("_", "")
    if n in ("utf8",):
        return "utf-8"
    if n in ("gb18030", "gbk", "gb2312", "cp936"):
        return "gb18030"
    if n == "auto":
        return "auto"
    raise InputError(f"unknown frame_encoding {name!r}")


def decode(data, encoding, what):
    """Bytes to text (§4.1). encoding: utf-8, gb18030, or auto (the detection of lists)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{what}: UTF-16 is refused")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    if encoding == "auto":
        if bom:
            encoding = "utf-8"
        else:
            try:
                body.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError:
                encoding = "gb18030"
    try:
        if encoding == "gb18030":
            return body.decode("gb18030", "spotcheck-gb18030").translate(_WHATWG_GB)
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{what}: not valid {encoding}: {e}")


def records(text):
    """CSV records (§4.1): one leading U+FEFF dropped; empty lines are no record."""
    text = text.removeprefix("\ufeff")
    return [r for r in csv.reader(io.StringIO(text, newline="")) if r]


def norm_header(h):  # §4.1: White_Space removed, each character lower-cased on its own
    return "".join(c.lower() for c in h if c not in WHITE_SPACE)


# ---------------------------------------------------------------- rules helpers
def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def table(parent, key, known, required=True):
    t = parent.get(key)
    if t is None and not required:
        return {}
    if not isinstance(t, dict):
        raise InputError(f"[{key}] must be a table")
    unknown = set(t) - set(known)
    if unknown:
        raise InputError(f"[{key}]: unknown keys {sorted(unknown)}")
    return t


def rate(v, what):
    """A rate as written (§7): plain decimal, or a string such as "2.5%"; at most 12 decimals."""
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise InputError(f"{what}: {v!r} is not a rate")
    # A TOML float's digit separators are dropped (0.000_5 is 0.0005); a
    # string keeps them, and they make it invalid.
    text = v.replace("_", "") if isinstance(v, TomlFloat) else trim(str(v))
    body, percent = (trim(text[:-1]), True) if text.endswith("%") else (text, False)
    whole, _, frac = body.partition(".")
    if (not whole and not frac) or body.count(".") > 1 or len(frac) > 12 or not all(
            c in "0123456789" for c in whole + frac):
        raise InputError(f"{what}: {v!r} is not a rate")
    r = Fraction(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))
    r = r / 100 if percent else r
    if r > 1:
        raise InputError(f"{what}: {v!r} is more than 1")
    return r


# ---------------------------------------------------------------- §4 population
class Village:
    __slots__ = ("code", "name", "ckey", "cname", "tkey", "tname", "sizes", "keys")


def is_plain_relative(p):
    parts = PurePosixPath(p).parts
    return bool(p) and not p.startswith("/") and ".." not in parts


def code_list(entries, rules_dir, what):
    """The codes of [[exclude]] or [[include]] tables (§4.3, §4.6)."""
    codes = []
    for e in entries:
        if not isinstance(e, dict) or set(e) - {"codes", "file", "reason"}:
            raise InputError(f"[[{what}]]: keys are codes, file and reason")
        if not isinstance(e.get("reason"), str):
            raise InputError(f"[[{what}]] needs a reason")
        if "codes" not in e and "file" not in e:
            raise InputError(f"[[{what}]] needs codes or file")
        inline = e.get("codes", [])
        if not isinstance(inline, list) or not all(isinstance(c, str) for c in inline):
            raise InputError(f"[[{what}]]: codes must be an array of strings")
        codes += [trim(c) for c in inline]
        if "file" in e:
            name = e["file"]
            if not isinstance(name, str) or not is_plain_relative(name):
                raise InputError(f"[[{what}]]: {name!r} must be relative to the rules file")
            path = rules_dir / name
            rows = records(decode(read_bytes(path), "auto", str(path)))
            for r in rows[1:]:  # the first record is a header
                code = trim(r[0])
                if not code:
                    if any(trim(c) for c in r):
                        raise InputError(f"{path}: empty code in the first column")
                    continue
                codes.append(code)
    return codes


def parse_size(cell, code):  # §4.1: ASCII digits, optional leading +, below 2^64
    digits = cell[1:] if cell.startswith("+") else cell
    if not (digits and all(c in "0123456789" for c in digits)) or int(digits) >= M64:
        raise InputError(f"village {code}: size {cell!r} is not a whole number")
    return int(digits)


def looks_like_total(cell):
    t = trim(cell)
    return (any(w in cell for w in ("合计", "总计", "小计", "共计"))
            or (t.isascii() and t.lower() in ("total", "subtotal", "sum"))
            or (len(t.encode()) >= 6 and t.encode()[:6].lower() == b"total "))


def looks_like_scientific(code):
    c = trim(code)
    for i, ch in enumerate(c):
        if ch in "eE":
            mant, exp = c[:i], c[i + 1:]
            return (bool(mant) and all(x in "0123456789." for x in mant) and bool(exp)
                    and all(x in "0123456789" for x in exp.lstrip("+-")))
    return False


def load_population(rules, rules_dir, frame_bytes, encoding):
    """The villages left after exclusions (§4.1-§4.5) and the forced keys per level (§4.6)."""
    fr = table(rules, "frame", ("code", "name", "county", "county_code", "township",
                                "township_code", "sizes", "extra"))
    rows = records(decode(frame_bytes, encoding, "frame"))
    if not rows:
        raise InputError("frame is empty")
    header = {}
    for i, h in enumerate(rows[0]):  # untrimmed; leading U+FEFF dropped
        n = norm_header(h.lstrip("\ufeff"))
        if n in header:
            raise InputError(f"frame: duplicate header {h!r}")
        header[n] = i
    roles = {r: fr.get(r) for r in ("code", "name", "county", "township", "county_code",
                                    "township_code")}
    for r in ("code", "name", "county", "township"):
        if not isinstance(roles[r], str):
            raise InputError(f"[frame] needs {r}")
    sizes = fr.get("sizes", [])
    wanted = {norm_header(n): r for r, n in roles.items() if n is not None}
    for s in sizes:
        wanted.setdefault(norm_header(s), ("size", s))
    extra = {norm_header(x) for x in fr.get("extra", [])}
    for h in header:
        if h not in wanted and h not in extra:
            raise InputError(f"frame: unknown header {h!r}")
    missing = [w for w in wanted if w not in header]
    if missing:
        raise InputError(f"frame: missing columns {missing}")
    ci = {r: header[norm_header(n)] for r, n in roles.items() if n is not None}
    size_cols = {norm_header(s): header[norm_header(s)] for s in sizes}
    required = [*ci.values(), *size_cols.values()]
    villages, seen, cnames, tnames, tcounty = [], set(), {}, {}, {}
    data = [[trim(c) for c in r] for r in rows[1:]]
    data = [r for r in data if any(r)]  # blank rows, and rows of white space, are skipped
    for r in data:
        if len(r) != len(rows[0]):
            raise InputError(f"frame row {r[:1]} has {len(r)} cells, the header {len(rows[0])}")
        if any(not r[i] for i in required):
            raise InputError(f"frame row {r[:1]}: empty cell")
        labels = [r[ci[x]] for x in ("code", "name", "county", "township")]
        if any(looks_like_total(c) for c in labels):
            raise InputError(f"frame row {r[:1]} looks like a totals row")
        v = Village()
        v.code, v.name = r[ci["code"]], r[ci["name"]]
        v.cname, v.tname = r[ci["county"]], r[ci["township"]]
        if looks_like_scientific(v.code):
            raise InputError(f"village code {v.code!r} looks like scientific notation")
        v.ckey = r[ci["county_code"]] if "county_code" in ci else v.cname
        v.tkey = r[ci["township_code"]] if "township_code" in ci else f"{v.ckey}/{v.tname}"
        if v.code in seen:
            raise InputError(f"village code {v.code!r} appears twice in the frame")
        seen.add(v.code)
        v.sizes = {s: parse_size(r[i], v.code) for s, i in size_cols.items()}
        if "county_code" in ci and cnames.setdefault(v.ckey, v.cname) != v.cname:
            raise InputError(f"county {v.ckey} has two names")
        if tcounty.setdefault(v.tkey, v.ckey) != v.ckey:
            raise InputError(f"township {v.tkey} lies in two counties")
        if "township_code" in ci and tnames.setdefault(v.tkey, v.tname) != v.tname:
            raise InputError(f"township {v.tkey} has two names")
        v.keys = {"county": v.ckey, "township": v.tkey, "village": v.code}
        villages.append(v)
    if not villages:
        raise InputError("the frame has no villages")
    if len(villages) >= 4 and sizes:  # a row, anywhere, that sums all the others (§4.1)
        totals = {s: sum(v.sizes[s] for v in villages) for s in size_cols}
        for v in villages:
            filled = [s for s in size_cols if v.sizes[s]]
            if filled and all(2 * v.sizes[s] == totals[s] for s in filled):
                raise InputError(f"frame row {v.code!r} is the sum of the others: a totals row")
    area_codes = ({v.ckey for v in villages} if "county_code" in ci else set()) | (
        {v.tkey for v in villages} if "township_code" in ci else set())
    for v in villages:  # a subtotal row carrying its county's or township's code
        if v.code in area_codes:
            raise InputError(f"village code {v.code!r} is also a county or township code")
    excluded = set(code_list(rules.get("exclude", []), rules_dir, "exclude"))
    kept = [v for v in villages if not excluded & {v.code, v.tkey, v.ckey}]
    if not kept:
        raise InputError("no villages are left after the exclusions")
    forced = {lvl: set() for lvl in LEVELS}
    in_frame = {k for v in villages for k in v.keys.values()}
    for code in code_list(rules.get("include", []), rules_dir, "include"):
        if code in excluded:
            raise InputError(f"code {code} is both excluded and forced in")
        # Village codes first, then township keys, then county keys (§4.6).
        hit = next(((lvl, v) for lvl in reversed(LEVELS) for v in kept if v.keys[lvl] == code), None)
        if hit is None:
            where = "lies in an excluded area" if code in in_frame else "is not in the frame"
            raise InputError(f"forced code {code} {where}")
        lvl, v = hit
        for above in LEVELS[:LEVELS.index(lvl) + 1]:
            forced[above].add(v.keys[above])
    return kept, forced


def group(villages, level):
    """Units of `level` among `villages`, sorted by key (§4.5): [(key, [villages])]."""
    units = {}
    for v in villages:
        units.setdefault(v.keys[level], []).append(v)
    return sorted(units.items())  # Python compares str by code point: UTF-8 byte order


def unit_size(unit, column):  # §4.4
    return sum(v.sizes[column] for v in unit[1])


# ---------------------------------------------------------------- §5, §7 the design
STAGE_KEYS = ("level", "n", "method", "size", "if_short", "reserve", "basis")


def read_stages(rules):
    stages = rules.get("stage")
    if not isinstance(stages, list) or not stages:
        raise InputError("the rules need at least one [[stage]]")
    sizes = {norm_header(s) for s in rules["frame"].get("sizes", [])}
    out = []
    for k, st in enumerate(stages):
        where = f"stage {k + 1}"
        if not isinstance(st, dict) or set(st) - set(STAGE_KEYS):
            raise InputError(f"{where}: keys are {', '.join(STAGE_KEYS)}")
        s = {"level": st.get("level"), "method": st.get("method", "srs"),
             "if_short": st.get("if_short", "error"), "reserve": st.get("reserve", 0)}
        if s["level"] not in LEVELS or s["method"] not in ("srs", "pps", "rivest") or s[
                "if_short"] not in ("error", "take-all") or not is_uint(s["reserve"]):
            raise InputError(f"{where}: bad level, method, if_short or reserve")
        if (s["method"] == "pps") != ("size" in st):
            raise InputError(f"{where}: size goes with method = \"pps\", and only there")
        if "size" in st:
            if norm_header(st["size"]) not in sizes:
                raise InputError(f"{where}: size {st['size']!r} is not a [frame] size")
            s["size"] = norm_header(st["size"])
        s["n"] = read_n(st.get("n"), where, sizes)
        out.append(s)
    levels = [s["level"] for s in out]
    if levels[-1] != "village" or any(LEVELS.index(a) >= LEVELS.index(b)
                                      for a, b in zip(levels, levels[1:])):
        raise InputError(f"stage levels {levels} must go strictly down to village")
    for k, s in enumerate(out):
        if s["reserve"] and k + 1 != len(out):
            raise InputError(f"stage {k + 1}: reserves are drawn at the last stage only")
        if s["n"][0] == "allocate" and any(p["n"][0] != "all" for p in out[:k]):
            raise InputError(f"stage {k + 1}: allocate needs n = \"all\" in earlier stages")
    return out


def read_n(n, where, sizes):
    """("all",), ("fixed", n), ("allocate", spec) or ("plan", t, c, e, k) (§7)."""
    if n == "all":
        return ("all",)
    if is_uint(n) and n >= 1:
        return ("fixed", n)
    if not isinstance(n, dict):
        raise InputError(f"{where}: n = {n!r} is not a number >= 1, \"all\" or a table")
    if "plan" in n:
        if set(n) - {"plan", "tolerable", "confidence", "expected", "expected_count"} or n[
                "plan"] != "attribute":
            raise InputError(f"{where}: an attribute plan has plan, tolerable, confidence, "
                             "expected or expected_count")
        if "expected" in n and "expected_count" in n:
            raise InputError(f"{where}: expected or expected_count, not both")
        t = rate(n.get("tolerable"), f"{where}: tolerable")
        c = rate(n.get("confidence"), f"{where}: confidence")
        e = rate(n.get("expected", 0), f"{where}: expected")
        k = n.get("expected_count")
        if not (0 < t < 1 and 0 < c < 1) or e >= t or (k is not None and not is_uint(k)):
            raise InputError(f"{where}: need 0 < tolerable < 1, 0 < confidence < 1, "
                             "expected < tolerable")
        return ("plan", t, c, e, k)
    if set(n) - {"allocate", "by", "total", "min", "max"}:
        raise InputError(f"{where}: an allocation has allocate, by, total, min and max")
    how, by = n.get("allocate"), n.get("by")
    if how == "equal":
        if by is not None:
            raise InputError(f"{where}: by is not used with allocate = \"equal\"")
    elif how == "proportional":
        if by is None:
            raise InputError(f"{where}: allocate = \"proportional\" needs by")
        if by != "units":
            if norm_header(by) not in sizes:
                raise InputError(f"{where}: by = {by!r} is neither \"units\" nor a size column")
            by = norm_header(by)
    else:
        raise InputError(f"{where}: unknown allocate = {how!r}")
    T, a, b = n.get("total"), n.get("min", 1), n.get("max")
    if not is_uint(T) or not is_uint(a) or (b is not None and (not is_uint(b) or a > b)):
        raise InputError(f"{where}: total, min and max must be integers >= 0, min <= max")
    return ("allocate", {"how": how, "by": by, "total": T, "min": a, "max": b})


def allocate(spec, strata, level):
    """{stratum key: n_h} for n = {allocate = ...} over the strata, in code order (§7)."""
    T, a, b, by = spec["total"], spec["min"], spec["max"], spec["by"]
    Ns = {h: len(group(vs, level)) for h, vs in strata}
    if spec["how"] == "equal":
        w = {h: 1 for h in Ns}
    elif by == "units":
        w = dict(Ns)
    else:
        w = {h: sum(v.sizes[by] for v in vs) for h, vs in strata}
    lo = {h: min(a, N) for h, N in Ns.items()}
    hi = {h: N if b is None else min(b, N) for h, N in Ns.items()}
    if not sum(lo.values()) <= T <= sum(hi.values()):
        raise InputError(f"allocation total {T} outside [{sum(lo.values())}, {sum(hi.values())}]")
    fixed, order = {}, [h for h, _ in strata]
    while True:
        F = [h for h in order if h not in fixed]
        if not F:
            break
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
        raise InputError(f"no allocation of {T} satisfies min and max")
    return fixed


def attribute_n(plan, N):  # §7 and §14: the hypergeometric attribute plan, exactly
    _, t, c, e, k = plan
    K = ceil(t * N)
    for n in range(1, N + 1):
        x = k if k is not None else ceil(e * n)
        if x >= n:
            continue
        p = Fraction(sum(comb(K, i) * comb(N - K, n - i) for i in range(x + 1)), comb(N, n))
        if p <= 1 - c:
            return n
    return N


class Design:
    """The stages checked against the population over every stratum they could meet (§5)."""

    def __init__(self, rules, villages, forced):
        self.stages, self.forced = read_stages(rules), forced
        self.alloc, self.plans = {}, {}
        for k, st in enumerate(self.stages):
            level = st["level"]
            strata = group(villages, self.stages[k - 1]["level"]) if k else [("", villages)]
            if st["n"][0] == "allocate":
                self.alloc[k] = allocate(st["n"][1], strata, level)
            for key, vs in strata:
                units = group(vs, level)
                n = self.n_of(k, key, len(units))
                if n > len(units) and st["if_short"] == "error":
                    raise InputError(f"stage {k + 1}: {key or 'the population'} has "
                                     f"{len(units)} units for n = {n}")
                if n >= len(units):
                    continue
                if sum(u[0] in forced[level] for u in units) > n:
                    raise InputError(f"stage {k + 1}: {key}: more forced units than n = {n}")
                if st["method"] == "pps":
                    sizes = [(u[0], unit_size(u, st["size"])) for u in units]
                    if any(x == 0 and u not in forced[level] for u, x in sizes):
                        raise InputError(f"stage {k + 1}: a unit sampled by PPS has size 0")
                    if sum(x for _, x in sizes) >= MAX_STRATUM_SIZE:
                        raise InputError(f"stage {k + 1}: a stratum's sizes reach 2^40")

    def n_of(self, k, key, N):
        n = self.stages[k]["n"]
        if n[0] == "all":
            return N
        if n[0] == "fixed":
            return n[1]
        if n[0] == "allocate":
            return self.alloc[k][key]
        if (k, N) not in self.plans:
            self.plans[k, N] = attribute_n(n, N)
        return self.plans[k, N]


# ---------------------------------------------------------------- §7-§10 one stratum
def select(stage, units, n, label, S, forced):
    """[(unit, stage probability, certainty flag, reserve rank or None)] in selection order."""
    N = len(units)
    if n >= N:  # taken whole (§7)
        return [(u, Fraction(1), "forced" if u[0] in forced else "all", None) for u in units]
    F = [u for u in units if u[0] in forced]
    C = [u for u in units if u[0] not in forced]
    m, k = n - len(F), stage["reserve"]
    out = [(u, Fraction(1), "forced", None) for u in F]
    if stage["method"] in ("srs", "rivest"):  # §8, §9: main sample, then reserves, all m / |C|
        if stage["method"] == "srs":
            picks = fisher_yates(len(C), m + k, Stream(stratum_key(S, label)))
        else:
            picks = [i - 1 for i in rivest(f"{S}/{label}", len(C), min(m + k, len(C)))]
        p = Fraction(m, len(C))
        out += [(C[i], p, "", None if r < m else r - m + 1) for r, i in enumerate(picks)]
    else:  # §10
        out += pps(C, m, k, stage["size"], Stream(stratum_key(S, label)))
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


def pps(C, m, k, column, stream):  # §10: systematic PPS with certainty units
    x = [unit_size(u, column) for u in C]
    certain, mp, X = set(), m, sum(x)
    while mp > 0 and X > 0:  # §10.1
        new = {i for i in range(len(C)) if i not in certain and mp * x[i] >= X}
        if not new:
            break
        certain |= new
        mp = m - len(certain)
        X = sum(x[i] for i in range(len(C)) if i not in certain)
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


# ---------------------------------------------------------------- §5 the draw, §11 output
def derive(rules, villages, forced, S):
    """The rows of sample.csv (lists of strings, header first), [[planned]], the
    number of strata per stage and the villages of the rows, in row order."""
    design = Design(rules, villages, forced)
    stages = design.stages
    levels = [st["level"] for st in stages]
    rows = [["code", "name", "county_code", "county", "township_code", "township", "stratum",
             "order", *(f"pi_{lv}" for lv in levels), "pi", "certainty", "reserve_rank"]]
    planned, strata, drawn = [], [0] * len(stages), []

    def walk(k, vs, path, probs):
        st, units = stages[k], group(vs, levels[k])
        strata[k] += 1
        label = f"{levels[k]}:{'/'.join(path)}"
        n = design.n_of(k, path[-1] if path else "", len(units))
        if st["n"][0] == "plan":
            planned.append({"stage": k + 1, "stratum": "/".join(path), "units": len(units),
                            "n": min(n, len(units))})
        picks = select(st, units, n, label, S, design.forced[levels[k]])
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
            drawn.append(v)

    walk(0, villages, [], [])
    return rows, planned, strata, drawn


# ---------------------------------------------------------------- §15 further rounds
def read_rounds(rules):
    """The [[sequential.round]] tables: for rounds 2, 3, … the units more per
    stratum at each level."""
    seq = rules.get("sequential")
    if not isinstance(seq, dict):
        raise InputError("round records exist, but the rules have no [sequential] plan")
    rounds = seq.get("round")
    if not isinstance(rounds, list) or not rounds:
        raise InputError("[sequential] needs at least one [[sequential.round]]")
    out = []
    for i, t in enumerate(rounds):
        if not isinstance(t, dict) or set(t) - {"township", "village", "basis"}:
            raise InputError(f"[[sequential.round]] {i + 1}: keys are township, village and basis")
        more = {lv: t.get(lv, 0) for lv in ("township", "village")}
        if not all(is_uint(e) for e in more.values()) or not any(more.values()):
            raise InputError(f"[[sequential.round]] {i + 1}: township and village are whole "
                             "numbers, one of them above 0")
        out.append(more)
    return out


def check_round_design(stages, rounds):  # §15: what a sequential plan needs of the design
    if stages[0]["level"] != "county" or stages[0]["n"] != ("all",):
        raise InputError("a sequential plan needs stage 1 to take every county")
    for more in rounds:
        for level, e in more.items():
            if e and not any(st["level"] == level and st["method"] in ("srs", "rivest")
                             for st in stages):
                raise InputError(f"a round adds {level} units, but no srs or rivest stage "
                                 f"samples at that level")


def select_round(stage, units, n, label, S, forced, more):
    """§15: a stratum's selection after round 1 + len(more), each pick with its
    block's round. `more` lists e_2, …, e_r for the stage's level."""
    if stage["method"] == "pps" or n >= len(units) or not any(more):
        return [(u, p, f, rank, 1) for u, p, f, rank in select(stage, units, n, label, S, forced)]
    F = [u for u in units if u[0] in forced]
    C = [u for u in units if u[0] not in forced]
    m, k = n - len(F), stage["reserve"]
    blocks = [(m, False, 1), (k, True, 1)]
    for j, e in enumerate(more, 2):
        if e > 0:
            blocks += [(e, False, j), (k, True, j)]
    length = min(len(C), sum(b[0] for b in blocks))
    if stage["method"] == "srs":
        order = fisher_yates(len(C), length, Stream(stratum_key(S, label)))
    else:
        order = [i - 1 for i in rivest(f"{S}/{label}", len(C), length)]
    main, spare, at = [], [], 0
    for size, is_reserve, j in blocks:
        taken = order[at:at + size]
        at += len(taken)
        (spare if is_reserve else main).extend((i, j) for i in taken)
    p = Fraction(len(main), len(C))
    return ([(u, Fraction(1), "forced", None, 1) for u in F]
            + [(C[i], p, "", None, j) for i, j in main]
            + [(C[i], p, "", r + 1, j) for r, (i, j) in enumerate(spare)])


def derive_round(rules, villages, forced, S, r, counties):
    """The rows of round-<r>.csv (§15) for the county keys `counties`."""
    design = Design(rules, villages, forced)
    stages, rounds = design.stages, read_rounds(rules)
    check_round_design(stages, rounds)
    if r - 1 > len(rounds):
        raise InputError(f"round {r} is beyond the plan's {len(rounds) + 1} rounds")
    levels = [st["level"] for st in stages]
    rows = [["code", "name", "county_code", "county", "township_code", "township", "stratum",
             "order", *(f"pi_{lv}" for lv in levels), "pi", "certainty", "reserve_rank",
             "round"]]

    def walk(k, vs, path, probs, since):
        st, units = stages[k], group(vs, levels[k])
        label = f"{levels[k]}:{'/'.join(path)}"
        n = design.n_of(k, path[-1], len(units))
        more = [rounds[j - 2][levels[k]] for j in range(2, r + 1)]
        picks = select_round(st, units, n, label, S, design.forced[levels[k]], more)
        if k + 1 < len(stages):
            for unit, p, _, rank, j in picks:
                if rank is None:
                    walk(k + 1, unit[1], path + [unit[0]], probs + [p], max(since, j))
            return
        for order, (unit, p, flag, rank, j) in enumerate(picks, 1):
            v, ps = unit[1][0], probs + [p]
            pi = Fraction(1)
            for q in ps:
                pi *= q
            rows.append([v.code, v.name, v.ckey, v.cname, v.tkey, v.tname, "/".join(path),
                         str(order), *map(dec12, ps), dec12(pi), flag,
                         "" if rank is None else str(rank), str(max(since, j))])

    for key, vs in group(villages, "county"):
        if key in counties and len(stages) > 1:
            walk(1, vs, [key], [Fraction(1)], 1)
    return rows


def dec12(q):  # §11: exact fraction, 12 decimals, half up
    v = (2 * q.numerator * 10**12 + q.denominator) // (2 * q.denominator)
    return f"{v // 10**12}.{v % 10**12:012d}"


NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?%?")


def defuse(f):  # §11: a text field a spreadsheet would take for a formula
    return "'" + f if f[:1] in ("=", "+", "-", "@", "\t", "\r", "'") and not NUMBER.fullmatch(f) else f


def render(rows, defused):  # §11: BOM, "\n", text fields defused (v2), quoting only where needed
    def field(f):
        return '"' + f.replace('"', '""') + '"' if any(c in f for c in ',"\r\n') else f

    def line(i, r):
        return ",".join(field(defuse(f) if defused and i > 0 and k < 7 else f) for k, f in enumerate(r))
    return b"\xef\xbb\xbf" + "".join(line(i, r) + "\n" for i, r in enumerate(rows)).encode()


# ---------------------------------------------------------------- §16 the household stage
HOUSEHOLD_KEYS = ("k", "reserve", "size", "cap_percent", "register", "register_en", "basis")
MAX_CAP = 1 << 32


def household_stage(rules):
    """[households] (§16), or None."""
    if "households" not in rules:
        return None
    h = table(rules, "households", HOUSEHOLD_KEYS)
    k, reserve, cap = h.get("k"), h.get("reserve", 0), h.get("cap_percent", 150)
    sizes = {norm_header(x) for x in rules["frame"].get("sizes", [])}
    if not (is_uint(k) and k >= 1 and is_uint(reserve) and is_uint(cap) and cap >= 100):
        raise InputError("[households]: k >= 1, reserve >= 0 and cap_percent >= 100 are integers")
    if not isinstance(h.get("size"), str) or norm_header(h["size"]) not in sizes:
        raise InputError("[households]: size must name a [frame] size column")
    if not isinstance(h.get("register"), str) or not trim(h["register"]):
        raise InputError("[households]: register must name the register")
    return {"k": k, "reserve": reserve, "cap_percent": cap, "size": norm_header(h["size"])}


def household_cap(stage, N):  # §16: ceil(N * cap_percent / 100), at least k + reserve
    return max(-(-N * stage["cap_percent"] // 100), stage["k"] + stage["reserve"])


def household_list(S, code, N, stage):
    """The list of one village (§16): a Fisher-Yates shuffle of 1..K on the stream of
    household:<code>, stopped at the (k + reserve)-th number no larger than N."""
    K, wanted = household_cap(stage, N), stage["k"] + stage["reserve"]
    s, a, out, within = Stream(stratum_key(S, f"household:{code}")), {}, [], 0
    for i in range(K):  # a dict holds the positions swaps touched: a[p] = p + 1 otherwise
        j = i + s.below(K - i)
        ai, aj = a.get(i, i + 1), a.get(j, j + 1)
        a[i], a[j] = aj, ai
        out.append(aj)
        if aj <= N:
            within += 1
            if within == wanted:
                break
    return K, out


def check_households(stage, villages):  # §16: every village's cap below 2^32
    for v in villages:
        if household_cap(stage, v.sizes[stage["size"]]) >= MAX_CAP:
            raise InputError(f"[households]: village {v.code}'s list would reach 2^32 numbers")


def render_households(stage, drawn, S):
    """households.csv (§16): BOM, "\n", one row per village of sample.csv in its order."""
    def field(f):
        return '"' + f.replace('"', '""') + '"' if any(c in f for c in ',"\r\n') else f
    lines = ["code,households,cap,numbers"]
    for v in drawn:
        N = v.sizes[stage["size"]]
        K, nums = household_list(S, v.code, N, stage)
        lines.append(f"{field(defuse(v.code))},{N},{K},{' '.join(map(str, nums))}")
    return b"\xef\xbb\xbf" + "".join(line + "\n" for line in lines).encode()


def compare_households(published, derived):
    """Differences between published and derived households.csv, village by village."""
    if published == derived:
        return []
    def rows(b):
        r = list(csv.reader(io.StringIO(b.decode("utf-8", "replace").removeprefix("\ufeff"), newline="")))
        return {x[0]: x[1:] for x in r[1:] if x}
    P, D = rows(published), rows(derived)
    diffs = [f"households.csv: village {c}: published {P.get(c)} vs derived {d}"
             for c, d in D.items() if P.get(c) != d]
    diffs += [f"households.csv: village {c} is listed but not in the sample" for c in P if c not in D]
    return diffs or ["households.csv: same lists but the bytes differ (BOM, quoting, order or line ends)"]


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
    data = read_bytes(path)
    try:
        return tomllib.loads(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"),
                             parse_float=TomlFloat)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: {e}")


DRAW_KEYS = {"algorithm": str, "spotcheck_version": str, "seed": str, "seed_normalized": str,
             "commitment": str, "drawn_at": str, "rules": str, "frame": str,
             "frame_encoding": str, "sample": str, "sample_sha256": str, "villages": int,
             "reserves": int, "strata_per_stage": list, "inputs": list}


def read_draw(path):
    """draw.toml with the keys and types of SAMPLING.md §1."""
    draw = read_toml(path)
    unknown = set(draw) - set(DRAW_KEYS) - {"redraw", "planned", "households", "households_sha256"}
    if unknown:
        raise InputError(f"{path}: unknown keys {sorted(unknown)}")
    for key, kind in DRAW_KEYS.items():
        if not isinstance(draw.get(key), kind) or isinstance(draw.get(key), bool):
            raise InputError(f"{path}: {key} is missing or not a {kind.__name__}")
    for inp in draw["inputs"]:
        if not isinstance(inp, dict) or set(inp) != {"path", "sha256", "role"}:
            raise InputError(f"{path}: every [[inputs]] has path, sha256 and role")
    for key in ("rules", "frame", "sample"):
        if not is_plain_relative(draw[key]):
            raise InputError(f"{path}: {key} must be a path inside the folder")
    return draw


ROUND_KEYS = {"algorithm": str, "spotcheck_version": str, "round": int, "draw": str,
              "draw_sha256": str, "counties": list, "sample": str, "sample_sha256": str,
              "villages": int, "new_villages": int, "reserves": int, "decided_at": str}
ROUND_OPTIONAL = {"previous": str, "previous_sha256": str, "decision": list}


def read_round(path):
    """round-<r>.toml with the keys and types of SAMPLING.md §15."""
    rec = read_toml(path)
    unknown = set(rec) - set(ROUND_KEYS) - set(ROUND_OPTIONAL)
    if unknown:
        raise InputError(f"{path}: unknown keys {sorted(unknown)}")
    for key, kind in list(ROUND_KEYS.items()) + [(k, t) for k, t in ROUND_OPTIONAL.items()
                                                 if k in rec]:
        if not isinstance(rec.get(key), kind) or isinstance(rec.get(key), bool):
            raise InputError(f"{path}: {key} is missing or not a {kind.__name__}")
    for dec in rec.get("decision", []):
        if not isinstance(dec, dict) or set(dec) - {"county", "name", "round", "outcome", "reasons"}:
            raise InputError(f"{path}: a [[decision]] has county, name, round, outcome, reasons")
    return rec


def verify_rounds(d, rules, villages, forced, S):
    """§15: round-2.toml, round-3.toml, … as far as they go; returns the rounds
    re-derived and every difference."""
    diffs, done, previous = [], [], None
    before = {key for key, _ in group(villages, "county")}
    draw_sha = hashlib.sha256(read_bytes(d / "draw.toml")).hexdigest()
    r = 2
    while (d / f"round-{r}.toml").is_file():
        name = f"round-{r}.toml"
        rec_bytes = read_bytes(d / name)
        rec = read_round(d / name)
        bad = [f"{name}: {m}" for m in (
            [f"round is {rec['round']}, not {r}"] if rec["round"] != r else []) + (
            [f"algorithm {rec['algorithm']!r} is not {ROUNDS_ALGORITHM}"]
            if rec["algorithm"] != ROUNDS_ALGORITHM else []) + (
            ["does not continue this folder's draw.toml"]
            if (rec["draw"], rec["draw_sha256"]) != ("draw.toml", draw_sha) else []) + (
            ["does not name the record of the round before it as it is"]
            if (rec.get("previous"), rec.get("previous_sha256")) != (previous or (None, None))
            else []) + (
            [f"its sample must be round-{r}.csv"] if rec["sample"] != f"round-{r}.csv" else [])]
        counties = rec["counties"]
        if not counties or len(set(counties)) != len(counties) or not set(counties) <= before:
            bad.append(f"{name}: counties {counties} are not distinct counties of the round before")
        escalated = {x.get("county") for x in rec.get("decision", []) if x.get("outcome") == "escalate"}
        if escalated != set(counties):
            bad.append(f"{name}: its counties are not those its decisions escalate")
        rows = derive_round(rules, villages, forced, S, r, set(counties))
        main = sum(1 for row in rows[1:] if not row[-2])
        counts = {"villages": main, "reserves": len(rows) - 1 - main,
                  "new_villages": sum(1 for row in rows[1:] if not row[-2] and row[-1] == str(r))}
        bad += [f"{name}: {k} is {rec[k]}, the round gives {v}" for k, v in counts.items()
                if rec[k] != v]
        published = read_bytes(d / rec["sample"])
        if hashlib.sha256(published).hexdigest() != rec["sample_sha256"]:
            bad.append(f"{rec['sample']}: its sha256 differs from {name}'s sample_sha256")
        bad += compare(published, render(rows, True), rec["sample"])
        diffs += bad
        done.append(r)
        previous = (name, hashlib.sha256(rec_bytes).hexdigest())
        before = set(counties)
        r += 1
    return done, diffs


def verify_dir(d):
    draw, diffs = read_draw(d / "draw.toml"), []
    if draw["algorithm"] not in ALGORITHMS:
        raise InputError(f"algorithm is {draw['algorithm']!r}, not one of {sorted(ALGORITHMS)}")
    defused = ALGORITHMS[draw["algorithm"]]
    entries = []
    for inp in draw["inputs"]:
        if not is_plain_relative(inp["path"]):
            raise InputError(f"input {inp['path']!r} is not a path inside the folder")
        h = hashlib.sha256(read_bytes(d / inp["path"])).hexdigest()
        entries.append((inp["path"], h))
        if h != inp["sha256"]:
            diffs.append(f"input {inp['path']}: sha256 {h} differs from draw.toml {inp['sha256']}")
    if commitment(entries) != draw["commitment"]:
        diffs.append(f"commitment: derived {commitment(entries)} vs draw.toml {draw['commitment']}")
    rules_path = d / draw["rules"]
    rules = read_toml(rules_path)
    rules_dir = PurePosixPath(draw["rules"]).parent
    used = [draw["rules"], draw["frame"]] + [  # every file the draw reads must be committed
        str(rules_dir / e["file"]) for e in rules.get("exclude", []) + rules.get("include", [])
        if isinstance(e, dict) and isinstance(e.get("file"), str)]
    committed = {str(PurePosixPath(p)) for p, _ in entries}
    diffs += [f"{u}: used by the draw but not among the committed [[inputs]]"
              for u in used if str(PurePosixPath(u)) not in committed]
    S = normalize_seed(draw["seed"])
    if S != draw["seed_normalized"]:
        diffs.append(f"seed: normalises to {S!r}, draw.toml says {draw['seed_normalized']!r}")
    check_seed(S, rules)
    enc = encoding_name(draw["frame_encoding"])
    villages, forced = load_population(rules, rules_path.parent, read_bytes(d / draw["frame"]), enc)
    rows, planned, strata, drawn = derive(rules, villages, forced, S)
    if planned != draw.get("planned", []):
        diffs.append(f"draw.toml: [[planned]] is {draw.get('planned', [])}, the rules give {planned}")
    counts = {"villages": sum(1 for r in rows[1:] if not r[-1]),
              "reserves": sum(1 for r in rows[1:] if r[-1]), "strata_per_stage": strata}
    diffs += [f"draw.toml: {k} is {draw[k]}, the draw gives {v}" for k, v in counts.items()
              if draw[k] != v]
    published = read_bytes(d / draw["sample"])
    if hashlib.sha256(published).hexdigest() != draw["sample_sha256"]:
        diffs.append("sample.csv: its sha256 differs from draw.toml's sample_sha256")
    diffs += compare(published, render(rows, defused), "sample.csv")
    stage = household_stage(rules)
    named = (draw.get("households"), draw.get("households_sha256"))
    if stage is None and named != (None, None):
        diffs.append("draw.toml: names household lists, but the rules have no [households]")
    if stage is not None:
        check_households(stage, villages)
        if not all(isinstance(x, str) for x in named) or not is_plain_relative(named[0]):
            diffs.append("draw.toml: the rules have [households], but households and "
                         "households_sha256 are missing or not a path inside the folder")
        else:
            lists = read_bytes(d / named[0])
            if hashlib.sha256(lists).hexdigest() != named[1]:
                diffs.append("households.csv: its sha256 differs from draw.toml's households_sha256")
            diffs += compare_households(lists, render_households(stage, drawn, S))
    rounds, more = verify_rounds(d, rules, villages, forced, S)
    for r in rounds:
        print(f"OK: round {r} re-derived" if not any(x.startswith((f"round-{r}.", f"round-{r} "))
                                                     for x in more) else f"FAIL: round {r}")
    return len(rows) - 1, diffs + more, stage is not None


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
    hkey = stratum_key("55120937446122087395", "household:170101002002")  # §16, vector 17
    check("household key", hkey.hex(), "6cb2a8bdc9607ef9964a0edd5569ff922e145dfe6ad3e344590502beaaa02150")
    h = Stream(hkey)
    check("household below(12 - i)", [h.below(12 - i) for i in range(9)], [6, 9, 9, 4, 5, 6, 0, 2, 1])
    return diffs


VECTOR_SEED = "12345678901234567890"


def refusal(f):
    """Why the design of a refused vector's folder (rules/*.toml, frame/frame.csv) is
    invalid, or None if it is not. The rules and frame themselves must load."""
    rules_path = next(iter(sorted((f / "rules").glob("*.toml"))), None)
    if rules_path is None:
        raise InputError(f"{f}: no rules/*.toml")
    rules = read_toml(rules_path)
    villages, forced = load_population(rules, rules_path.parent,
                                       read_bytes(f / "frame" / "frame.csv"), "auto")
    try:
        Design(rules, villages, forced)
        stage = household_stage(rules)
        if stage is not None:
            check_households(stage, villages)
    except InputError as e:
        return str(e)
    return None


def verify_vectors(d):
    """Vectors 1-4 (X.toml, X.sample.csv, frame.csv), the published draws (folders
    with draw.toml) and the refused designs (folders with refused.txt)."""
    diffs = self_checks()
    flat = [t for t in sorted(d.glob("*.toml")) if t.with_name(t.stem + ".sample.csv").exists()]
    folders = [f for f in sorted(d.iterdir()) if (f / "draw.toml").is_file()]
    refused = [f for f in sorted(d.iterdir()) if (f / "refused.txt").is_file()]
    if not flat and not folders:
        raise InputError(f"no X.toml with an X.sample.csv, and no folder with a draw.toml, in {d}")
    for t in flat:
        rules = read_toml(t)
        check_seed(VECTOR_SEED, rules)
        villages, forced = load_population(rules, t.parent, read_bytes(d / "frame.csv"), "utf-8")
        got = compare(read_bytes(t.with_name(t.stem + ".sample.csv")),
                      render(derive(rules, villages, forced, VECTOR_SEED)[0], True), t.name)
        print(f"{'OK' if not got else 'FAIL'}: vector {t.name}")
        diffs += got
    rounds = sorted(f for f in (d / "rounds").iterdir() if (f / "draw.toml").is_file()) if (
        d / "rounds").is_dir() else []
    for f in folders + rounds:
        _, got, _ = verify_dir(f)
        name = f"rounds/{f.name}/" if f in rounds else f"{f.name}/"
        print(f"{'OK' if not got else 'FAIL'}: vector {name}")
        diffs += got
    for f in refused:
        why = refusal(f)
        print(f"OK: vector {f.name}/ refused: {why}" if why else f"FAIL: vector {f.name}/")
        if not why:
            diffs.append(f"vector {f.name}/: its design should be refused, but it is valid")
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
            n, diffs, lists = verify_dir(a.dir)
    except (InputError, KeyError, TypeError, AttributeError) as e:
        print(f"ERROR: {type(e).__name__ if not isinstance(e, InputError) else 'input'}: {e}",
              file=sys.stderr)
        return 2
    for line in diffs:
        print(f"DIFF: {line}")
    if diffs:
        return 1
    print("OK: all vectors re-derived identically" if a.vectors
          else f"OK: {n} rows re-derived identically" + (f", with {n} household lists" if lists else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
