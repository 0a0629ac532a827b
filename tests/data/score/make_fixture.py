"""Builds tests/data/score/fixture.csv from the example campaign's draw.

    bash examples/cangzhou-2008/run.sh && python3 tests/data/score/make_fixture.py

One row per sampled village: the variance stratum and PSU as SCORING.md §2
defines them (a county, or a township taken with certainty), the design
weight 1/pi, births found (the example's synthetic truth) and reported (the
county's self-report), and whether one-child rewards were paid (1/0).
"""
import csv
import glob
from pathlib import Path

root = Path(__file__).resolve().parents[3]
camp = root / "target" / "example-campaign"
truth = {r["村代码"]: r for r in csv.DictReader(open(root / "examples/cangzhou-2008/truth.csv", encoding="utf-8"))}
reported = {}
for p in glob.glob(str(root / "examples/cangzhou-2008/reports/*.csv")):
    data = Path(p).read_bytes()
    text = data[3:].decode("utf-8") if data.startswith(b"\xef\xbb\xbf") else data.decode("gb18030")
    for r in csv.DictReader(text.splitlines()):
        reported[r["村代码"]] = r["2008年以来出生人数"]
rows = [r for r in csv.DictReader(open(camp / "sample.csv", encoding="utf-8-sig")) if not r["reserve_rank"]]
with open(Path(__file__).parent / "fixture.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["county", "stratum", "psu", "w", "found", "reported", "paid"])
    for r in rows:
        county, township = r["county_code"], r["township_code"]
        certain = r["pi_township"] == "1.000000000000"
        stratum, psu = (f"{county}/{township}", r["code"]) if certain else (county, township)
        t = truth[r["code"]]
        w.writerow([county, stratum, psu, repr(1 / float(r["pi"])), t["births"], reported.get(r["code"]) or 0,
                    1 if t["one_child_reward_paid"] == "是" else 0])
