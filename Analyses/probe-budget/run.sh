#!/usr/bin/env bash
# Does a larger probe budget move the per-replicate statistic? On the quick report's first replicate (its teacher,
# ternary and BWN models in runs/report-quick/), recomputes the per-module table (Fig. 3: λ_max per module kind and
# layer) with the quick preset's budget (10 Lanczos products, 12 examples) and with larger ones — more Lanczos products per cell, more examples per
# mini-batch — and writes, per budget and module kind, the replicate's statistic log(λ_max BWN / ternary) and the
# seconds it took (summarize.py → Plots/probe-budget.csv, .md). Resumable: a finished budget is not run again.
# Usage: bash Analyses/probe-budget/run.sh [WORK]   (WORK: the quick report's work directory)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK="${1:-runs/report-quick}"
BIN=.build/release/binarybert
[ -x "$BIN" ] || swift build -c release --product binarybert
SEED=$(ls -d "$WORK"/rep-* | head -1); SEED=${SEED##*rep-}
OUT=runs/probe-budget
mkdir -p "$OUT"
# budget name, max HVPs per cell, examples per mini-batch
for budget in "quick 10 12" "hvps20 20 12" "examples32 10 32" "examples64 10 64"; do
    set -- $budget
    [ -f "$OUT/$1/per-module/per-module.csv" ] && continue
    start=$(date +%s)
    "$BIN" hessian --model "$WORK/teacher" --model "$WORK/rep-$SEED/ternary" --model "$WORK/rep-$SEED/bwn" \
        --task rt-polarity --data assets/data/rt-polarity --max-length 32 --per-module --layers 0,5 --batches 1 \
        --examples "$3" --sample-seed "$SEED" --batch-size "$3" --tol 0.01 --max-hvps "$2" --seed "$SEED" --dtype float32 \
        --output "$OUT/$1/per-module" > /dev/null
    echo "$(( $(date +%s) - start ))" > "$OUT/$1/seconds"
done
python3 Analyses/probe-budget/summarize.py "$OUT" Plots/probe-budget
