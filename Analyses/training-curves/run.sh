#!/usr/bin/env bash
# Distillation curves of the quantization-table runs (TWS vs BWN vs ternary, 8- and 4-bit activations): collects
# the training logs into Plots/training-curves.{csv,json} and draws Plots/training-curves-{accuracy,loss}.svg.
# Needs only finished runs of Analyses/quantization-table/run.sh (ROOT, default runs/table); trains nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="${ROOT:-runs/table}"
BIN="${BIN:-.build/release/binarybert}"
[ -x "$BIN" ] || swift build -c release --product binarybert

python3 Analyses/training-curves/collect.py --root "$ROOT" --out Plots/training-curves
PLOT=(--csv Plots/training-curves.csv --x epoch --group model --panel panel --panel-format "{}" --columns 2
      --x-label "epoch of the stage")
"$BIN" plot "${PLOT[@]}" --y dev_accuracy --y-label "dev accuracy (%)" \
    --title "rt-polarity, MiniLM-L6: dev accuracy during the two distillation stages (mean ± std over seeds)" \
    --output Plots/training-curves-accuracy.svg
"$BIN" plot "${PLOT[@]}" --y train_loss --y-label "training loss" --connect-gaps \
    --title "rt-polarity, MiniLM-L6: distillation loss (mean ± std over seeds)" \
    --output Plots/training-curves-loss.svg
