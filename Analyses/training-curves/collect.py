#!/usr/bin/env python3
"""Collects the distillation curves of the quantization-table runs into tidy CSV + JSON metadata.

For every ROOT/seed<N>/<config> whose stage finished (its metrics.json exists), reads stage1/train_log.csv (stage 1:
hidden-state and attention-score distillation) and train_log.csv (stage 2: logit distillation) and writes one row per
evaluation: seed, config, model, activation bits, stage, panel, step, epoch (step / steps per epoch), training loss
(mean over the steps since the previous evaluation) and dev accuracy (%).

Every curve starts at epoch 0 of stage 1 with the student's starting point: for a TWS student, its ternary parent's
final dev accuracy (the split is exact, so that is the split model's); for the others, the quantized teacher before any
training (post-training quantization), written by `quantize --epochs 0` into <config>-init/ (run.sh makes those).
Standard library only.
"""
import argparse
import csv
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tidy import atomic_write, csv_text, seed_dirs  # noqa: E402

# config -> (series label, activation bits, ternary parent of a TWS split or None)
CURVES = {
    "ternary-w2a8": ("ternary (TWN)", 8, None),
    "tws-w1a8": ("TWS binary", 8, "ternary-w2a8"),
    "bwn-w1a8": ("BWN binary (2x epochs)", 8, None),
    "bwn-w1a8-1x": ("BWN binary (1x epochs)", 8, None),
    "ternary-half-w2a8": ("ternary, half width", 8, None),
    "tws-half-w1a8": ("TWS binary from half width (BinaryBERT)", 8, "ternary-half-w2a8"),
    "ternary-w2a4": ("ternary (TWN)", 4, None),
    "tws-w1a4": ("TWS binary", 4, "ternary-w2a4"),
    "bwn-w1a4": ("BWN binary (2x epochs)", 4, None),
}
# configs whose untrained starting point is another config's (same quantizer, same first batch)
INITS = {"bwn-w1a8-1x": "bwn-w1a8-init"}
STAGES = {1: "stage 1 (hidden states + attention)", 2: "stage 2 (logits)"}
MIN_LOSS_WINDOW = 10
FIELDS = ["seed", "config", "model", "activation_bits", "stage", "panel", "step", "epoch", "train_loss", "dev_accuracy"]


def load_json(path):
    with open(path) as f:
        return json.load(f)


def stage_rows(seed, config, stage, stage_dir):
    """The evaluations of one finished stage, or [] when it has not finished."""
    metrics = os.path.join(stage_dir, "metrics.json")
    log = os.path.join(stage_dir, "train_log.csv")
    if not (os.path.exists(metrics) and os.path.exists(log)):
        return []
    m = load_json(metrics)
    steps_per_epoch = math.ceil(m.get("train_examples", m.get("trainExamples")) / m["options"].get("batch_size", m["options"].get("batchSize")))
    label, bits, _ = CURVES[config]
    rows, previous = [], 0
    with open(log) as f:
        for r in csv.DictReader(f):
            step = int(r["step"])
            loss = float(r["loss"])
            # The evaluation at the end of an epoch is followed a few steps later by the regular one: a loss averaged
            # over so few steps is noise, so it is left out (the plot connects across it).
            if step - previous < MIN_LOSS_WINDOW:
                loss = math.nan
            previous = step
            rows.append({"seed": seed, "config": config, "model": label, "activation_bits": bits, "stage": stage,
                         "panel": f"A{bits}, {STAGES[stage]}", "step": step, "epoch": step / steps_per_epoch,
                         "train_loss": None if math.isnan(loss) else loss,
                         "dev_accuracy": 100 * float(r["dev_metric"])})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="runs/table")
    ap.add_argument("--out", default="Plots/training-curves")
    args = ap.parse_args()

    rows, runs = [], []
    for seed, seed_dir in seed_dirs(args.root):
        for config, (label, bits, parent) in CURVES.items():
            run = os.path.join(seed_dir, config)
            stage1 = stage_rows(seed, config, 1, os.path.join(run, "stage1"))
            stage2 = stage_rows(seed, config, 2, run)
            if not stage1:
                continue
            # The starting point: the split parent (TWS) or the untrained quantized teacher (quantize --epochs 0).
            start_metrics = os.path.join(seed_dir, parent, "metrics.json") if parent else \
                os.path.join(seed_dir, INITS.get(config, config + "-init"), "metrics.json")
            if os.path.exists(start_metrics):
                start = load_json(start_metrics)
                stage1.insert(0, dict(stage1[0], step=0, epoch=0.0, train_loss=None,
                                      dev_accuracy=100 * start["best"][start.get("primary_metric", start.get("primaryMetric"))]))
            rows += stage1 + stage2
            runs.append({"seed": seed, "config": config, "stages_finished": 1 + bool(stage2)})

    atomic_write(args.out + ".csv", csv_text(rows, FIELDS))
    atomic_write(args.out + ".json", json.dumps({
        "task": "rt-polarity", "model": "all-MiniLM-L6-v2", "root": args.root, "runs": runs,
        "columns": {
            "epoch": "optimizer steps / steps per epoch, within the stage",
            "train_loss": "stage 1: sum of the attention-score and hidden-state MSEs; stage 2: soft cross-entropy "
                          "to the teacher's logits; mean since the previous evaluation (empty when that was fewer than "
                          f"{MIN_LOSS_WINDOW} steps before: the end-of-epoch evaluation and the regular one 2 steps "
                          "later)",
            "dev_accuracy": "dev accuracy (%) of the model at that step; at epoch 0, the starting point: a TWS "
                            "curve's ternary parent (the split is exact), otherwise the quantized teacher before "
                            "training (quantize --epochs 0, in <config>-init/)",
        },
        "source": "Analyses/training-curves/collect.py"}, indent=2, sort_keys=True) + "\n")
    print(f"{len(rows)} rows from {len(runs)} runs -> {args.out}.csv", file=sys.stderr)


if __name__ == "__main__":
    main()
