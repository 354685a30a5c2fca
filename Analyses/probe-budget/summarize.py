"""Per budget and module kind: the replicate's log(λ_max BWN / ternary) (mean over its layers) and the budget's
seconds, beside the quick preset's budget; writes OUT.csv and OUT.md. Usage: summarize.py RUNS_DIR OUT_STEM"""
import csv
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tidy import atomic_write, csv_text  # noqa: E402

BUDGETS = [("quick", 10, 12), ("hvps20", 20, 12), ("examples32", 10, 32), ("examples64", 10, 64)]
MODULES = ["mha-qk", "mha-v", "mha-o", "ffn-mid", "ffn-out"]


def replicate_spread(forest):
    """The standard deviation over the quick run's replicates of each module kind's statistic (forest.csv)."""
    values = {}
    with open(forest, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["claim"].startswith("fig3-") and r["claim"] != "fig3-overall" and r["judged"] == "true":
                values.setdefault(r["claim"][5:], []).append(float(r["value"]))
    return {m: statistics.stdev(v) for m, v in values.items() if len(v) >= 2}


def main(runs, out, forest="Plots/quick/forest.csv"):
    rows = []
    for name, hvps, examples in BUDGETS:
        path = os.path.join(runs, name, "per-module", "per-module.csv")
        if not os.path.exists(path):
            continue
        with open(path, newline="", encoding="utf-8") as f:
            cells = list(csv.DictReader(f))
        with open(os.path.join(runs, name, "seconds"), encoding="utf-8") as f:
            seconds = float(f.read())
        for m in MODULES:
            logs = []
            for c in cells:
                if c["module"] == m and c["model"] == "bwn":
                    t = next(x for x in cells if x["module"] == m and x["model"] == "ternary" and x["layer"] == c["layer"] and x["batch"] == c["batch"])
                    lb, lt = float(c["lambda_max"]), float(t["lambda_max"])
                    if lb > 0 and lt > 0:
                        logs.append(math.log(lb / lt))
            rows.append({"budget": name, "max_hvps": hvps, "examples": examples, "module": m,
                         "log_ratio": sum(logs) / len(logs) if logs else float("nan"), "seconds": seconds})
    if not rows:
        sys.exit("no finished budget in " + runs)
    atomic_write(out + ".csv", csv_text(rows, list(rows[0].keys())))
    base = {r["module"]: r["log_ratio"] for r in rows if r["budget"] == "quick"}
    spread = replicate_spread(forest) if os.path.exists(forest) else {}
    lines = ["# Probe budget of the per-module table (one replicate of the quick run)", "",
             "log(λ_max BWN / ternary), mean over layers 0 and 5, per budget; in brackets the change from the quick preset's budget "
             "(10 Lanczos products, 12 examples), and each budget's seconds for 3 models × 5 kinds × 2 layers. The last row is the "
             "standard deviation of the same statistic between the quick run's replicates (`forest.csv`): a budget is large enough "
             "when raising it moves the statistic by much less than that.", "",
             "| budget | max HVPs | examples | seconds | " + " | ".join(MODULES) + " |", "|---|---|---|---|" + "---|" * len(MODULES)]
    for name, hvps, examples in BUDGETS:
        rs = {r["module"]: r for r in rows if r["budget"] == name}
        if not rs:
            continue
        cells = [f"{rs[m]['log_ratio']:.3f} ({rs[m]['log_ratio'] - base.get(m, float('nan')):+.3f})" for m in MODULES]
        lines.append(f"| {name} | {hvps} | {examples} | {rs[MODULES[0]]['seconds']:.0f} | " + " | ".join(cells) + " |")
    if spread:
        lines.append("| between replicates (sd) | | | | " + " | ".join(f"{spread.get(m, float('nan')):.3f}" for m in MODULES) + " |")
    lines.append("")
    atomic_write(out + ".md", "\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:3])
