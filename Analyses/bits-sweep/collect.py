#!/usr/bin/env python3
"""Collects the bits sweep (dev accuracy and cross-entropy against weight bits, 8-bit activations) into tidy CSV + JSON.

For every ROOT/seed<N>, reads each point's DIR/dev-eval.json (`binarybert evaluate`: accuracy and mean cross-entropy on
the dev set, written by run.sh) and DIR/metrics.json (training steps, the best dev accuracy recorded in training), and
writes one row per seed and point: Plots/bits-sweep.csv and Plots/bits-sweep.json (metadata, means ± std, which points
exist). A point whose re-evaluation disagrees with the accuracy its training recorded is an error: the saved model
would not be the one that was selected. Standard library only.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tidy import atomic_write, csv_text, mean_pm_std, seed_dirs, stats  # noqa: E402

POST_TRAINING = "post-training quantization (no training)"
WEIGHTS_ONLY = "post-training, weights only (32-bit activations)"
DISTILLED = "distilled, 2 epochs per stage"
# run directory -> (series, weight bits, activation bits, epochs per stage or None)
POINTS = {
    "teacher": ("full-precision teacher (W32A32)", 32, 32, None),
    "uniform-w8a8-init": (POST_TRAINING, 8, 8, 0),
    "uniform-w4a8-init": (POST_TRAINING, 4, 8, 0),
    "ternary-w2a8-init": (POST_TRAINING, 2, 8, 0),
    "bwn-w1a8-init": (POST_TRAINING, 1, 8, 0),
    "uniform-w8a32-init": (WEIGHTS_ONLY, 8, 32, 0),
    "uniform-w4a32-init": (WEIGHTS_ONLY, 4, 32, 0),
    "ternary-w2a32-init": (WEIGHTS_ONLY, 2, 32, 0),
    "bwn-w1a32-init": (WEIGHTS_ONLY, 1, 32, 0),
    "uniform-w8a8": (DISTILLED, 8, 8, 2),
    "uniform-w4a8": (DISTILLED, 4, 8, 2),
    "ternary-w2a8": (DISTILLED, 2, 8, 2),
    "bwn-w1a8-1x": (DISTILLED, 1, 8, 2),
    "bwn-w1a8": ("BWN, distilled 4 epochs per stage (the table's baseline)", 1, 8, 4),
}
FIELDS = ["seed", "config", "model", "weight_bits", "activation_bits", "epochs_per_stage", "steps", "dev_accuracy",
          "dev_loss"]


def load_json(path):
    with open(path) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="runs/table")
    ap.add_argument("--out", default="Plots/bits-sweep")
    args = ap.parse_args()

    rows = []
    for seed, seed_dir in seed_dirs(args.root):
        for config, (label, wbits, abits, epochs) in POINTS.items():
            run = os.path.join(seed_dir, config)
            evaluated, metrics = os.path.join(run, "dev-eval.json"), os.path.join(run, "metrics.json")
            if not (os.path.exists(evaluated) and os.path.exists(metrics)):
                continue
            e, m = load_json(evaluated), load_json(metrics)
            recorded = m["best"][m.get("primary_metric", m.get("primaryMetric"))]
            if round(recorded * e["examples"]) != round(e["accuracy"] * e["examples"]):
                sys.exit(f"{evaluated}: re-evaluated accuracy {e['accuracy']:.4f} differs from the {recorded:.4f} "
                         f"that {metrics} recorded")
            rows.append({"seed": seed, "config": config, "model": label, "weight_bits": wbits, "activation_bits": abits,
                         "epochs_per_stage": epochs, "steps": m["steps"], "dev_accuracy": 100 * e["accuracy"],
                         "dev_loss": e["loss"]})

    atomic_write(args.out + ".csv", csv_text(rows, FIELDS))
    summary = {}
    for config in POINTS:
        accuracy = [r["dev_accuracy"] for r in rows if r["config"] == config]
        loss = [r["dev_loss"] for r in rows if r["config"] == config]
        if accuracy:
            summary[config] = {"seeds": sorted(r["seed"] for r in rows if r["config"] == config),
                               "dev_accuracy": stats(accuracy), "dev_loss": stats(loss),
                               "text": f"{mean_pm_std(stats(accuracy))}% / {mean_pm_std(stats(loss), 3)} nats"}
    atomic_write(args.out + ".json", json.dumps({
        "task": "rt-polarity", "model": "all-MiniLM-L6-v2", "root": args.root, "max_length": 64,
        "points": summary, "missing": [c for c in POINTS if c not in summary],
        "columns": {
            "weight_bits": "8 and 4: symmetric uniform, one scale per tensor (per row for the word embedding); 2: TWN "
                           "ternary; 1: BWN binary; 32: the full-precision teacher (no quantization, 32-bit "
                           "activations too)",
            "activation_bits": "8: symmetric uniform with learnable clip values initialised to ±2.5 (asymmetric at "
                               "the FFN-output input and the attention probabilities); 32: not quantized",
            "epochs_per_stage": "0: no training (quantize --epochs 0); otherwise the table's two-stage distillation "
                                "(batch 32, lr 5e-5, stage 1 at 2.5×), best dev checkpoint of stage 2",
            "dev_accuracy": "dev accuracy (%) of the saved model, re-evaluated by binarybert evaluate (checked "
                            "against the accuracy recorded in training)",
            "dev_loss": "mean cross-entropy (nats) of the model's predictions on the dev set (chance: ln 2 = 0.693)",
        },
        "source": "Analyses/bits-sweep/collect.py"}, indent=2, sort_keys=True) + "\n")
    print(f"{len(rows)} points -> {args.out}.csv", file=sys.stderr)


if __name__ == "__main__":
    main()
