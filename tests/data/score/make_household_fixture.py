"""Builds tests/data/score/households.csv from the example campaign's draw and
its synthetic household findings.

    bash examples/cangzhou-2008/run.sh && python3 tests/data/score/make_household_fixture.py

One row per household visited: the village's variance stratum and PSU as
SCORING.md §2 defines them (the units above the first stage drawn at random,
and that unit; a village taken with certainty at every stage is its own
stratum and PSU), the village's design weight 1/pi, whether it was taken with
certainty, the register's count H, the households visited k, the household's
number, and its answers: the reward received in full (1, 0, or NA when the
household has no one-child parents), births since 2008, and whether its
overall view is favourable (满意 or 基本满意).
"""
import csv
import glob
from pathlib import Path

root = Path(__file__).resolve().parents[3]
camp = root / "target" / "example-campaign"
sample = {r["code"]: r for r in csv.DictReader(open(camp / "sample.csv", encoding="utf-8-sig"))}
levels = ["county", "township", "village"]


def design(r):
    """(stratum, psu) as spotcheck's stratum_and_psu gives them."""
    units = [u for u in r["stratum"].split("/") if u] + [r["code"]]
    pis = [r[f"pi_{lv}"] for lv in levels]
    for s, p in enumerate(pis):
        if p != "1.000000000000":
            return ("all" if s == 0 else "/".join(units[:s])), units[s]
    return "/".join(units), r["code"]


out = []
for path in sorted(glob.glob(str(root / "examples/cangzhou-2008/findings/入户表-*.csv"))):
    rows = list(csv.reader(open(path, encoding="utf-8-sig")))
    head = {h.split("（")[0]: i for i, h in enumerate(rows[0])}
    villages = {}
    for r in rows[1:]:
        villages.setdefault(r[head["村代码"]], []).append(r)
    for code, vrows in villages.items():
        s = sample[code]
        stratum, psu = design(s)
        register = next(r[head["户籍册总户数"]] for r in vrows if r[head["户籍册总户数"]])
        visited = [r for r in vrows if r[head["门难进"]]]
        for r in visited:
            reward = {"是": "1", "否": "0"}.get(r[head["独生子女父母奖励按月足额领取"]], "NA")
            view = r[head["对计划生育工作的总体评价"]]
            out.append([s["county_code"], stratum, psu, code, repr(1 / float(s["pi"])),
                        1 if s["pi"] == "1.000000000000" else 0, register, len(visited),
                        r[head["户号"]], reward, r[head["本户2008年以来出生人数"]],
                        1 if view in ("满意", "基本满意") else 0])
with open(Path(__file__).parent / "households.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["county", "stratum", "psu", "village", "w", "certain", "register", "visited",
                "household", "reward", "births", "favourable"])
    w.writerows(out)
