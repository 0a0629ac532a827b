"""Writes the example's synthetic findings (findings/*.csv): what each team
found in its villages, that is the synthetic truth (truth.csv), plus the
households visited and complaints heard. Forms of a second round
(检查表-<team>-第2轮.csv) get their findings too, dated in March, in
findings-round-2/.

    bash examples/cangzhou-2008/run.sh      # draws and writes the forms
    python3 examples/cangzhou-2008/make_findings.py

The forms come from the example campaign's draw with the example's seed, so
the files match it. Invented data.
"""
import csv
import hashlib
from pathlib import Path

HERE = Path(__file__).parent
FORMS = HERE.parents[1] / "target" / "example-campaign" / "forms"
INSPECTORS = ["张建国", "王志强", "陈明", "赵伟", "周军", "徐刚", "马林", "胡斌"]
NAMES = {
    "births": "2008年以来出生人数", "married": "2008年以来新婚对数",
    "long_acting_required": "应落实长效节育措施人数", "long_acting_done": "已落实长效节育措施人数",
    "fee_due": "应征社会抚养费", "fee_collected": "已征社会抚养费",
    "one_child_reward_paid": "独生子女父母奖励按月足额发放", "service_room": "村级计生服务室与卫生室共建",
    "outplan_pregnancies": "政策外怀孕人数", "remedial_done": "已落实补救措施人数", "publicity": "“六进家庭”宣传品入户",
}


def rnd(*key):
    h = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


truth = {r["村代码"]: r for r in csv.DictReader(open(HERE / "truth.csv", encoding="utf-8"))}
(HERE / "findings").mkdir(exist_ok=True)
(HERE / "findings-round-2").mkdir(exist_ok=True)
# Each team keeps its inspector in every round: numbered by the first round's forms.
first = sorted(f for f in FORMS.glob("检查表-*.csv") if "-第" not in f.stem.removeprefix("检查表-"))
number = {f.stem.removeprefix("检查表-"): i for i, f in enumerate(first)}
for form in sorted(FORMS.glob("检查表-*.csv")):
    team, _, later = form.stem.removeprefix("检查表-").partition("-第")
    i = number[team]
    rows = list(csv.reader(open(form, encoding="utf-8-sig")))
    header, body = rows[0], rows[1:]
    out = [header]
    for r in body:
        code = r[2]
        t = truth[code]
        cells = r + [""] * (len(header) - len(r))
        for c, h in enumerate(header):
            base = h.split("（")[0]
            if h == "检查人":
                cells[c] = INSPECTORS[i % len(INSPECTORS)]
            elif h == "检查日期" and later:
                cells[c] = f"2009-03-{2 + int(rnd('d2', code) * 14):02d}"
            elif h == "检查日期":
                cells[c] = f"2009-02-{10 + int(rnd('d', code) * 15):02d}"
            elif base == "入户核查户数":
                cells[c] = str(20 + int(rnd("h", code) * 11))
            elif base == "群众反映问题件数":
                cells[c] = str(int(rnd("q", code) * 1.6))
            else:
                for k, n in NAMES.items():
                    if base == n:
                        cells[c] = t[k]
        out.append(cells)
    folder = "findings-round-2" if later else "findings"
    with open(HERE / folder / form.name, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f, lineterminator="\r\n").writerows(out)
