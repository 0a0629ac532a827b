"""Writes the example's synthetic self-reports (reports/*.csv) and the synthetic
truth they are measured against (truth.csv), deterministically.

    python3 examples/cangzhou-2008/make_reports.py

The truth is invented from the synthetic frame. Most counties report it honestly;
three conceal births (report about 10-15% fewer), one conceals them in some
villages only (a few percent over the county, which one round cannot decide),
two overstate fee collection and reward payments. One county reports in GB18030, as Excel on Chinese Windows saves
CSV; the rest in UTF-8 with BOM. 海兴县 leaves a few villages out of its report.
Nothing here describes real places or people.
"""
import csv
import hashlib
import io
from pathlib import Path

HERE = Path(__file__).parent
CONCEAL = {"130921": 0.85, "130925": 0.88, "130981": 0.90}   # births reported / true
PATCHY = {"130983": (0.4, 0.85)}                             # share of villages, reported / true there
OVERSTATE = {"130927", "130984"}                             # fees and rewards claimed
LEAVE_OUT = {"130924": 4}                                    # villages missing from the report
GB18030 = {"130922"}


def rnd(*key):
    """A deterministic number in [0, 1) from the key."""
    h = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def truth_of(v):
    pop, women = int(v["人口"]), int(v["育龄妇女"])
    births = max(0, round(pop * (0.010 + 0.008 * rnd("b", v["村代码"]))))
    married = max(0, round(pop * (0.006 + 0.004 * rnd("m", v["村代码"]))))
    required = max(1, round(women * (0.30 + 0.10 * rnd("r", v["村代码"]))))
    done = round(required * (0.80 + 0.18 * rnd("d", v["村代码"])))
    fee_due = round(births * 0.15 * 6000 * rnd("f", v["村代码"]))
    fee_collected = round(fee_due * (0.5 + 0.4 * rnd("c", v["村代码"])))
    reward = "是" if rnd("w", v["村代码"]) < 0.85 else "否"
    room = "是" if rnd("s", v["村代码"]) < 0.75 else "否"
    outplan = round(births * 0.2 * rnd("o", v["村代码"]))
    remedial = round(outplan * (0.6 + 0.4 * rnd("x", v["村代码"])))
    publicity = "是" if rnd("p", v["村代码"]) < 0.9 else "否"
    return dict(births=births, married=married, long_acting_required=required, long_acting_done=done,
                fee_due=fee_due, fee_collected=fee_collected, one_child_reward_paid=reward, service_room=room,
                outplan_pregnancies=outplan, remedial_done=remedial, publicity=publicity)


def main():
    frame = list(csv.DictReader(open(HERE / "synthetic-frame.csv", encoding="utf-8")))
    frame.sort(key=lambda v: v["村代码"])
    fields = ["births", "married", "long_acting_required", "long_acting_done", "fee_due", "fee_collected",
              "one_child_reward_paid", "service_room", "outplan_pregnancies", "remedial_done", "publicity"]
    names = ["2008年以来出生人数", "2008年以来新婚对数", "应落实长效节育措施人数", "已落实长效节育措施人数",
             "应征社会抚养费", "已征社会抚养费", "独生子女父母奖励按月足额发放", "村级计生服务室与卫生室共建",
             "政策外怀孕人数", "已落实补救措施人数", "“六进家庭”宣传品入户"]
    truth = {v["村代码"]: truth_of(v) for v in frame}
    with open(HERE / "truth.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["村代码"] + fields)
        for v in frame:
            w.writerow([v["村代码"]] + [truth[v["村代码"]][k] for k in fields])
    counties = sorted({(v["县代码"], v["县名"]) for v in frame})
    (HERE / "reports").mkdir(exist_ok=True)
    for code, name in counties:
        villages = [v for v in frame if v["县代码"] == code][LEAVE_OUT.get(code, 0):]
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(["村代码", "村名"] + names + ["2008年县级财政计划生育投入"])
        spending = 0
        for v in villages:
            t = dict(truth[v["村代码"]])
            if code in CONCEAL:
                t["births"] = int(t["births"] * CONCEAL[code])
            if code in PATCHY and rnd("patch", v["村代码"]) < PATCHY[code][0]:
                t["births"] = int(t["births"] * PATCHY[code][1])
            if code in OVERSTATE:
                t["fee_collected"] = t["fee_due"]
                t["one_child_reward_paid"] = "是"
            spending += int(v["人口"]) * 2
            w.writerow([v["村代码"], v["村名"]] + [t[k] for k in fields] + [""])
        w.writerow([code, name] + [""] * len(fields) + [spending])
        path = HERE / "reports" / f"{code}-{name}自查.csv"
        if code in GB18030:
            path.write_bytes(out.getvalue().encode("gb18030"))
        else:
            path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


main()
