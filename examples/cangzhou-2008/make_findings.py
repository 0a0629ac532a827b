"""Writes the example's synthetic findings (findings/*.csv): what each team
found in its villages, that is the synthetic truth (truth.csv), plus the
households visited and complaints heard.

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
for i, form in enumerate(sorted(FORMS.glob("检查表-*.csv"))):
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
    with open(HERE / "findings" / form.name, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f, lineterminator="\r\n").writerows(out)
