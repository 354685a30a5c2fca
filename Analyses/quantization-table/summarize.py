#!/usr/bin/env python3
"""Collects the runs of Analyses/quantization-table/run.sh into a tidy table.

Reads ROOT/seed*/{teacher,<config>}/metrics.json (best dev accuracy), <config>/packed.json (packed size) and
<config>.seconds (wall time), and writes Plots/quantization-table.csv (one row per seed and config),
Plots/quantization-table.json (metadata: the PyTorch reference, means, standard deviations, which runs exist) and
Plots/quantization-table.md (mean ± std per config, the markdown the README quotes). Standard library only.
"""
import argparse
import csv
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tidy import atomic_write, csv_text, mean_pm_std, seed_dirs, stats  # noqa: E402

# config -> (label, weight bits, activation bits, width, reference accuracy of the PyTorch pipeline or None)
CONFIGS = {
    "teacher": ("full precision", 32, 32, 1.0, 86.9),
    "teacher-half": ("full precision, half width (ranked, sliced, re-fine-tuned)", 32, 32, 0.5, 83.6),
    "ternary-w2a8": ("ternary (TWN)", 2, 8, 1.0, 85.1),
    "tws-w1a8": ("TWS binary, split from the full-width ternary", 1, 8, 1.0, None),
    "bwn-w1a8": ("BWN binary, 2x epochs", 1, 8, 1.0, 83.5),
    "ternary-w2a4": ("ternary (TWN)", 2, 4, 1.0, None),
    "tws-w1a4": ("TWS binary, split from the full-width ternary", 1, 4, 1.0, None),
    "bwn-w1a4": ("BWN binary, 2x epochs", 1, 4, 1.0, None),
    "ternary-half-w2a8": ("ternary (TWN), half width", 2, 8, 0.5, 83.5),
    "tws-half-w1a8": ("TWS binary, split from the half-width ternary (BinaryBERT)", 1, 8, 1.0, 83.3),
    "laq-w2a8": ("ternary (LAQ, loss-aware)", 2, 8, 1.0, None),
    # The bits sweep's distillations (Analyses/bits-sweep): the same recipe at every weight bit width.
    "uniform-w8a8": ("8-bit uniform weights", 8, 8, 1.0, None),
    "uniform-w4a8": ("4-bit uniform weights", 4, 8, 1.0, None),
    "bwn-w1a8-1x": ("BWN binary, 1x epochs (as the other bit widths)", 1, 8, 1.0, None),
    # The students' starting points, no training (post-training quantization of the teacher; `quantize --epochs 0`,
    # made by Analyses/training-curves/run.sh). A TWS student starts at its ternary parent's accuracy (exact split).
    "ternary-w2a8-init": ("ternary (TWN), no training", 2, 8, 1.0, None),
    "bwn-w1a8-init": ("BWN binary, no training", 1, 8, 1.0, None),
    "ternary-w2a4-init": ("ternary (TWN), no training", 2, 4, 1.0, None),
    "bwn-w1a4-init": ("BWN binary, no training", 1, 4, 1.0, None),
    "ternary-half-w2a8-init": ("ternary (TWN), half width, no training", 2, 8, 0.5, None),
}
# configs that are not a directory of their own: the half-width teacher lives inside the half-width ternary run
PATHS = {"teacher-half": os.path.join("ternary-half-w2a8", "teacher-w0.5")}
FULL_PRECISION = ("teacher", "teacher-half")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--root", default="runs/table")
    ap.add_argument("--out", default="Plots/quantization-table")
    args = ap.parse_args()

    rows = []
    for seed, seed_dir in seed_dirs(args.root):
        for config in CONFIGS:
            run_dir = os.path.join(seed_dir, PATHS.get(config, config))
            metrics = os.path.join(run_dir, "metrics.json")
            if not os.path.exists(metrics):
                continue
            with open(metrics) as f:
                m = json.load(f)
            packed = os.path.join(run_dir, "packed.json")
            size = paper = None
            if os.path.exists(packed):
                with open(packed) as f:
                    p = json.load(f)
                size, paper = p.get("megabytes"), p.get("paper_megabytes", p.get("paperMegabytes"))
            weights = os.path.join(run_dir, "model.safetensors")
            if config in FULL_PRECISION and os.path.exists(weights):
                size = os.path.getsize(weights) / 1048576  # float32 safetensors: the FP size
            seconds = os.path.join(seed_dir, config + ".seconds")
            # A student's metrics.json times stage 2 only, so without <config>.seconds (written for runs done in one
            # go) its wall time is unknown; a teacher's covers its whole fine-tuning.
            wall = float(open(seconds).read()) if os.path.exists(seconds) else \
                m.get("wall_seconds", m.get("wallSeconds")) if config in FULL_PRECISION else None
            label, wb, ab, width, _ = CONFIGS[config]
            rows.append({"seed": seed, "config": config, "model": label, "weight_bits": wb, "activation_bits": ab,
                         "width": width, "dev_accuracy": 100 * m["best"]["accuracy"], "best_step": m.get("best_step", m.get("bestStep")),
                         "packed_mb": size, "paper_mb": paper, "wall_seconds": wall})

    fields = ["seed", "config", "model", "weight_bits", "activation_bits", "width", "dev_accuracy", "best_step",
              "packed_mb", "paper_mb", "wall_seconds"]
    atomic_write(args.out + ".csv", csv_text(rows, fields))

    summary = {}
    md = ["| model | W/A | width | dev accuracy (%) | seeds | PyTorch reference | packed MB (paper MB) |",
          "|---|---|---|---|---|---|---|"]
    for config, (label, wb, ab, width, ref) in CONFIGS.items():
        accs = [r["dev_accuracy"] for r in rows if r["config"] == config]
        if not accs:
            continue
        sizes = [r for r in rows if r["config"] == config and r["packed_mb"] is not None]
        summary[config] = dict(stats(accs), reference=ref, seeds=sorted(r["seed"] for r in rows if r["config"] == config))
        acc = mean_pm_std(summary[config])
        size = ""
        if sizes:
            paper = sizes[0]["paper_mb"]
            size = f"{sizes[0]['packed_mb']:.2f}" + ("" if paper is None else f" ({paper:.2f})")
        md.append(f"| {label} | W{wb}A{ab} | {width:g} | {acc} | {len(accs)} | {'' if ref is None else ref} | {size} |")
    atomic_write(args.out + ".md", "\n".join(md) + "\n")
    atomic_write(args.out + ".json", json.dumps({
        "task": "rt-polarity", "model": "all-MiniLM-L6-v2", "max_length": 64, "metric": "dev accuracy (%)",
        "root": args.root, "configs": summary}, indent=2, sort_keys=True) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
