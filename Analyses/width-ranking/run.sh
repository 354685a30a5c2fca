#!/usr/bin/env bash
# Issue 4's half-width question: slicing the full-precision teacher to width 0.5 costs accuracy; does ranking heads
# and FFN neurons by importance before slicing win part of it back, before and after re-fine-tuning the sliced model?
#
#   SEEDS="42 43 44" bash Analyses/width-ranking/run.sh
#
# For every seed, both variants of the half-width model are built from the table's teacher (runs/table/seed<S>/teacher,
# trained by Analyses/quantization-table/run.sh if missing):
#   first   `slice` keeps the first ⌈heads/2⌉ heads and FFN/2 neurons of every layer
#   ranked  `slice --rank` keeps the most important ones (32 training batches of 32, the seed's batch order)
# each is evaluated as sliced, then fine-tuned with the half-width teacher recipe of `quantize --width 0.5`
# (2 epochs, batch 32, lr 5e-5, max length 64). The ranked fine-tuning is exactly what `quantize --width 0.5` does
# for its teacher, so a finished runs/table/seed<S>/ternary-half-w2a8/teacher-w0.5 is reused instead of retrained.
# Resumable: finished steps are skipped, an interrupted fine-tuning continues with --resume.
# Afterwards summarize.py writes Plots/width-ranking.{csv,json,md}.
#
# Cost on 2 cores: ~15 min per half-width fine-tuning, so ~30 min per seed (~15 when the table's teacher-w0.5 exists).
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS="${SEEDS:-42 43 44}"
THREADS="${THREADS:-$(nproc)}"
TABLE="${TABLE:-runs/table}"
ROOT="${ROOT:-runs/width}"
WIDTH=0.5
source Analyses/lib.sh
TASK=("${RT_POLARITY[@]}")

require_binary
[ -d "$DATA" ] || bash scripts/fetch-assets

for seed in $SEEDS; do
    teacher="$TABLE/seed$seed/teacher"
    finished "$teacher" || SEEDS=$seed CONFIGS=none THREADS=$THREADS ROOT=$TABLE bash Analyses/quantization-table/run.sh
    dir="$ROOT/seed$seed"
    mkdir -p "$dir"
    for variant in first ranked; do
        sliced="$dir/$variant-w$WIDTH-sliced" tuned="$dir/$variant-w$WIDTH"
        if [ ! -f "$sliced/eval.json" ]; then
            rank=(); [ "$variant" = ranked ] && rank=(--rank "${TASK[@]}" --batches 32 --batch-size 32 --seed "$seed")
            echo "== seed $seed: $variant, sliced to width $WIDTH" >&2
            "$BIN" slice --model "$teacher" --width "$WIDTH" --output "$sliced" --threads "$THREADS" "${rank[@]}"
            dev_eval "$BIN" "$sliced" "$sliced/eval.json" --threads "$THREADS"
        fi
        reuse="$TABLE/seed$seed/ternary-half-w2a8/teacher-w$WIDTH"
        if [ "$variant" = ranked ] && [ ! -e "$tuned" ] && finished "$reuse"; then
            ln -s "$(cd "$reuse" && pwd)" "$tuned"
        fi
        if ! finished "$tuned"; then
            echo "== seed $seed: $variant, fine-tuning at width $WIDTH" >&2
            "$BIN" finetune --model "$sliced" "${TASK[@]}" --output "$tuned" --epochs 2 --lr 5e-5 --batch-size 32 \
                --eval-every 100 --seed "$seed" --threads "$THREADS" $(finetune_resume_flag "$tuned") > /dev/null
        fi
    done
done
python3 Analyses/width-ranking/summarize.py --table "$TABLE" --root "$ROOT"
