"""Writes the example's synthetic household findings (findings/入户表-*.csv):
what each team recorded at the doors of its villages' household lists.

    bash examples/cangzhou-2008/run.sh      # draws and writes the forms
    python3 examples/cangzhou-2008/make_households.py [CAMPAIGN_FOLDER]

For each village the team counts the register (the roster's 户数 give or take
a tenth), then goes down the published list in order as the form says: a
number above the register's count is passed over, a few households are
vacant, absent at two visits or refuse and get their reason, and the first 20
visited answer. The answers follow the synthetic truth (truth.csv): where a
village did not pay the one-child reward in full, most such households say
so, whatever the county reported; each county has its own rates of
complaints about cadres' conduct (门难进, 脸难看, 事难办, 吃拿卡要) and of
satisfaction. Only household numbers and answers are written, never a name.
Invented data.
"""
import csv
import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).parent
CAMPAIGN = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "target" / "example-campaign"
FORMS = CAMPAIGN / "forms"
K = 20  # [households] k of the rules


def rnd(*key):
    """A deterministic number in [0, 1) from the key."""
    h = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


truth = {r["村代码"]: r for r in csv.DictReader(open(HERE / "truth.csv", encoding="utf-8"))}
roster = {r["村代码"]: r for r in csv.DictReader(open(HERE / "synthetic-frame.csv", encoding="utf-8-sig"))}


def county_rates(county):
    """Each county's own conduct and satisfaction: most counties do well, a few
    have more complaints (synthetic)."""
    bad = rnd("conduct", county)
    return {
        "door": 0.01 + 0.10 * bad,
        "face": 0.01 + 0.08 * bad,
        "task": 0.02 + 0.12 * bad,
        "bribe": 0.004 + 0.03 * bad ** 2,
        "dissatisfied": 0.02 + 0.12 * bad,
        "satisfied": 0.78 - 0.30 * bad,
        "as_recorded": 0.99 - 0.10 * rnd("long-acting", county),
    }


def answers(code, number, rates, paid):
    """A visited household's answers, by column base name."""
    r = lambda what: rnd(what, code, number)  # noqa: E731
    yes = lambda p, what: "是" if r(what) < p else "否"  # noqa: E731
    out = {}
    if r("one-child") < 0.35:  # a household with one-child parents
        out["独生子女父母奖励按月足额领取"] = yes(0.97 if paid else 0.45, "reward")
    if r("recorded") < 0.30:  # the register records a long-acting measure
        out["长效节育措施与登记相符"] = yes(rates["as_recorded"], "as-recorded")
    b = r("births")
    out["本户2008年以来出生人数"] = "2" if b < 0.01 else "1" if b < 0.09 else "0"
    out["门难进"] = yes(rates["door"], "door")
    out["脸难看"] = yes(rates["face"], "face")
    out["事难办"] = yes(rates["task"], "task")
    out["吃拿卡要"] = yes(rates["bribe"], "bribe")
    s = r("satisfaction")
    out["对计划生育工作的总体评价"] = (
        "不满意" if s < rates["dissatisfied"]
        else "满意" if s < rates["dissatisfied"] + rates["satisfied"] else "基本满意")
    return out


(HERE / "findings").mkdir(exist_ok=True)
for form in sorted(FORMS.glob("入户表-*.csv")):
    rows = list(csv.reader(open(form, encoding="utf-8-sig")))
    header, body = rows[0], rows[1:]
    col = {h.split("（")[0]: i for i, h in enumerate(header)}
    by_village = {}
    for r in body:
        by_village.setdefault(r[col["村代码"]], []).append(r)
    out = [header]
    for code, vrows in by_village.items():
        county = roster[code]["县代码"]
        rates = county_rates(county)
        frame_count = int(roster[code]["户数"])
        register = max(1, round(frame_count * (0.9 + 0.2 * rnd("register", code))))
        paid = truth[code]["one_child_reward_paid"] == "是"
        visited = 0
        for i, r in enumerate(vrows):
            cells = r + [""] * (len(header) - len(r))
            if i == 0:
                cells[col["户籍册总户数"]] = str(register)
            number = int(cells[col["户号"]])
            if visited < K and number <= register:
                u = rnd("skip", code, number)
                if u < 0.03:
                    cells[col["未入户原因"]] = "空户"
                elif u < 0.07:
                    cells[col["未入户原因"]] = "两次未遇"
                elif u < 0.09:
                    cells[col["未入户原因"]] = "拒绝入户"
                else:
                    visited += 1
                    for base, v in answers(code, number, rates, paid).items():
                        cells[col[base]] = v
            out.append(cells)
    with open(HERE / "findings" / form.name, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f, lineterminator="\r\n").writerows(out)
