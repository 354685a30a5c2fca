#!/usr/bin/env bash
# Distillation curves of the quantization-table runs (TWS vs BWN vs ternary, 8- and 4-bit activations): evaluates each
# non-TWS student's starting point once (`quantize --epochs 0`: the quantized teacher before training, ~1 min), collects
# the training logs into Plots/training-curves.{csv,json} and draws Plots/training-curves.{accuracy,loss}.svg.
# Needs finished runs of Analyses/quantization-table/run.sh (ROOT, default runs/table); trains nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="${ROOT:-runs/table}"
THREADS="${THREADS:-$(nproc)}"
source Analyses/lib.sh
require_binary

# init SEED_DIR CONFIG TEACHER ARGS...: the untrained student of CONFIG, for configs that were run.
init() {
    [ -d "$1/$2" ] || return 0
    quantize_init "$BIN" "$@" --threads "$THREADS"
}
for dir in "$ROOT"/seed*; do
    finished "$dir/teacher" || continue
    for a in 8 4; do
        init "$dir" "ternary-w2a$a" "$dir/teacher" --weight-bits 2 --act-bits $a
        init "$dir" "bwn-w1a$a" "$dir/teacher" --weight-bits 1 --act-bits $a
    done
    # The half-width ternary student starts from the ranked, sliced, re-fine-tuned half-width teacher.
    finished "$dir/ternary-half-w2a8/teacher-w0.5" &&
        init "$dir" ternary-half-w2a8 "$dir/ternary-half-w2a8/teacher-w0.5" --weight-bits 2 --act-bits 8
done

python3 Analyses/training-curves/collect.py --root "$ROOT" --out Plots/training-curves
PLOT=(--csv Plots/training-curves.csv --x epoch --group model --panel panel --panel-format "{}" --columns 2
      --x-label "epoch of the stage")
"$BIN" plot "${PLOT[@]}" --y dev_accuracy --y-label "dev accuracy (%)" \
    --title "rt-polarity, MiniLM-L6: dev accuracy during the two distillation stages (mean ± std over seeds)" \
    --output Plots/training-curves.accuracy.svg
"$BIN" plot "${PLOT[@]}" --y train_loss --y-label "training loss" --connect-gaps \
    --title "rt-polarity, MiniLM-L6: distillation loss (mean ± std over seeds)" \
    --output Plots/training-curves.loss.svg
