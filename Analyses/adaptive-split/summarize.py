#!/usr/bin/env python3
"""Collects the adaptive-split runs of Analyses/adaptive-split/run.sh into Plots/adaptive-split.{csv,json,svg}.

adaptive-split.csv: one row per run (budget, packed size, selection rule, gain method, dev accuracy of the mixed,
split and final models, matrices split, planned gain, the knapsack's bound); random selections do not read the gains,
so their rows appear once per gain method. adaptive-split-sensitivity.csv: the per-matrix table of the sensitivities.
adaptive-split.json: the rank correlation, the spread of each rule over the interior budgets, and whether max-gain
wins (its mean accuracy over the interior budgets minus the best control's, with the binomial SE of one accuracy on
the dev set). The figure: `binarybert plot` of accuracy against packed MB, one line per rule.
"""
import csv, json, math, os, shutil, subprocess, sys

ROOT = os.environ.get("ROOT", "runs/adaptive-split")
OUT = "Plots"
rows = []
for name in sorted(os.listdir(ROOT)):
    path = os.path.join(ROOT, name, "adaptive-split.json")
    if not os.path.isfile(path):
        continue
    r = json.load(open(path))
    o, c = r["options"], r["choice"]
    lo, hi = c["range"]["all_binary_bytes"], c["range"]["fully_split_bytes"]
    end = name in ("all-binary", "fully-split")
    gains = [o["gain"]] if not (end or o["selection"] == "random") else ["measured", "curvature"]
    for gain in gains:
        rows.append({
            "run": name, "budget_mb": o["budget_mb"], "budget_fraction": round((c["budget_bytes"] - lo) / (hi - lo), 3),
            "packed_mb": r["packed_mb"], "selection": "end" if end else o["selection"], "gain": gain,
            "rule": ("all binary" if name == "all-binary" else "fully split") if end else
                    ("random" if o["selection"] == "random" else f"{o['selection']} · {gain}"),
            "matrices_split": len(c["split"]), "planned_gain": c["gain"], "worst_case_loss": c.get("worst_case_loss"),
            "mixed_accuracy": r["mixed_metric"], "split_accuracy": r["split_metric"], "accuracy": r["final_metric"],
            "split_relative_error": r["split_relative_error"], "dev_examples": r["dev_examples"]})
if not rows:
    sys.exit(f"summarize: no finished runs in {ROOT}")
fields = list(rows[0].keys())
with open(f"{OUT}/adaptive-split.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for row in sorted(rows, key=lambda r: (r["rule"], r["packed_mb"])):
        w.writerow(row)
# The line plot reads the ends as points of every rule (they are where all rules meet).
plot_rows = [dict(r, rule=rule) for r in rows if r["selection"] == "end"
             for rule in sorted({x["rule"] for x in rows if x["selection"] != "end"})] + [r for r in rows if r["selection"] != "end"]
with open(f"{OUT}/adaptive-split.lines.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for row in sorted(plot_rows, key=lambda r: (r["rule"], r["packed_mb"])):
        w.writerow(row)
shutil.copy(os.path.join(ROOT, "all-binary", "sensitivity.csv"), f"{OUT}/adaptive-split-sensitivity.csv")

interior = [r for r in rows if r["selection"] != "end"]
def mean(xs): return sum(xs) / len(xs) if xs else float("nan")
by_rule = {}
for r in interior:
    by_rule.setdefault(r["rule"], []).append(r["accuracy"])
n = rows[0]["dev_examples"]
summary = {"rules": {k: {"runs": len(v), "mean_accuracy": mean(v), "min": min(v), "max": max(v)} for k, v in sorted(by_rule.items())}}
first = json.load(open(os.path.join(ROOT, "all-binary", "adaptive-split.json")))
summary["rank_correlation_measured_curvature"] = first["rank_correlation"]
p = mean([r["accuracy"] for r in interior]) if interior else float("nan")
summary["accuracy_se_one_run"] = math.sqrt(p * (1 - p) / n) if interior else None
for gain in ("measured", "curvature"):
    mx = by_rule.get(f"max · {gain}")
    controls = [by_rule[k] for k in (f"min · {gain}", "random") if k in by_rule]
    if mx and controls:
        best = max(mean(c) for c in controls)
        summary[f"max_minus_best_control_{gain}"] = mean(mx) - best
summary["source"] = {"root": ROOT, "runs": sorted({r["run"] for r in rows}), "options_of_first_run": first["options"]}
json.dump(summary, open(f"{OUT}/adaptive-split.json", "w"), indent=2, sort_keys=True)
subprocess.run([os.environ.get("BIN", ".build/release/binarybert"), "plot", "--csv", f"{OUT}/adaptive-split.lines.csv",
                "--x", "packed_mb", "--y", "accuracy", "--group", "rule", "--x-label", "packed size (MB)",
                "--y-label", "dev accuracy", "--title", "Adaptive splitting on rt-polarity (MiniLM-L6, reduced recipe)",
                "--output", f"{OUT}/adaptive-split.lines.svg"], check=True, stdout=subprocess.DEVNULL)
print(json.dumps(summary, indent=2))
