#!/usr/bin/env bash
# Accuracy against weight bits at 8-bit activations (the paper's Fig. 1) on rt-polarity with MiniLM-L6, two ways:
# post-training quantization of the teacher (`quantize --epochs 0`, no training, ~1 min a point; also with 32-bit
# activations, to tell the weights' share of the loss from the activations') and two-stage
# distillation at the table's recipe, 2 epochs per stage for every bit width (the table driver's runs ternary-w2a8 and,
# by name, uniform-w8a8, uniform-w4a8 and bwn-w1a8-1x; the table's BWN with twice the epochs is drawn beside them).
# Every point is evaluated once more with `binarybert evaluate` (dev accuracy and cross-entropy, DIR/dev-eval.json);
# collect.py writes Plots/bits-sweep.{csv,json} and the two figures are drawn. Trains nothing: run the distillations
# with  SEEDS=42 CONFIGS="uniform-w8a8 uniform-w4a8 bwn-w1a8-1x" bash Analyses/quantization-table/run.sh  first.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="${ROOT:-runs/table}"
THREADS="${THREADS:-$(nproc)}"
source Analyses/lib.sh
require_binary

for dir in "$ROOT"/seed*; do
    finished "$dir/teacher" || continue
    # Untrained, with 8-bit activations (clip values at their initial ±2.5) and with full-precision ones.
    for a in 8 32; do
        quantize_init "$BIN" "$dir" uniform-w8a$a "$dir/teacher" --weight-bits 8 --act-bits $a --threads "$THREADS"
        quantize_init "$BIN" "$dir" uniform-w4a$a "$dir/teacher" --weight-bits 4 --act-bits $a --threads "$THREADS"
        quantize_init "$BIN" "$dir" ternary-w2a$a "$dir/teacher" --weight-bits 2 --act-bits $a --threads "$THREADS"
        quantize_init "$BIN" "$dir" bwn-w1a$a "$dir/teacher" --weight-bits 1 --act-bits $a --threads "$THREADS"
    done
    for run in teacher uniform-w8a8 uniform-w4a8 ternary-w2a8 bwn-w1a8-1x bwn-w1a8 \
               {uniform-w8,uniform-w4,ternary-w2,bwn-w1}a{8,32}-init; do
        finished "$dir/$run" && dev_eval "$BIN" "$dir/$run" "$dir/$run/dev-eval.json" --threads "$THREADS"
    done
done

python3 Analyses/bits-sweep/collect.py --root "$ROOT" --out Plots/bits-sweep
PLOT=(--csv Plots/bits-sweep.csv --x weight_bits --x-spacing log2 --group model --x-label "weight bits (32: the full-precision teacher)")
"$BIN" plot "${PLOT[@]}" --y dev_accuracy --y-label "dev accuracy (%)" \
    --title "rt-polarity, MiniLM-L6: dev accuracy against weight bits (mean ± std over seeds)" --output Plots/bits-sweep.accuracy.svg
"$BIN" plot "${PLOT[@]}" --y dev_loss --y-label "dev cross-entropy (nats)" \
    --title "rt-polarity, MiniLM-L6: dev cross-entropy against weight bits (mean ± std over seeds)" --output Plots/bits-sweep.loss.svg
