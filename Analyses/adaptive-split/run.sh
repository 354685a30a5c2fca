#!/usr/bin/env bash
# Adaptive splitting on rt-polarity (MiniLM-L6, issue 17), reduced recipe: the quick report's teacher and TWN
# student as the base (640-sentence seeded subset, max length 32), sensitivities on 64 training examples (Hutch++,
# 12 HVPs per matrix), then per run 1 epoch of logit distillation of the mixed model, the exact split, and 1 epoch
# of binary fine-tuning. Budgets: the two ends of the feasible range (all binary; every matrix split) and 4 budgets
# at 20/40/60/80 % of it; per interior budget: max-gain (knapsack) and min-gain with each gain method, and one
# seeded random selection (it does not read the gains). The sensitivity table is computed once, in the first run,
# and copied into the others (each run checks its provenance). Every run is resumable: rerun the script.
#
#   bash scripts/run-default            # makes runs/report-quick (the teacher and the TWN base) if missing
#   bash Analyses/adaptive-split/run.sh && python3 Analyses/adaptive-split/summarize.py
#
# Cost on 2 cores: the sensitivities ~10 min, each run ~2 min; 22 runs ~55 min.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Analyses/lib.sh
require_binary
THREADS="${THREADS:-$(nproc)}"
ROOT="${ROOT:-runs/adaptive-split}"
# The quick report's shared teacher and its first replicate's TWN student (the committed Plots/adaptive-split.* were
# made from the single-seed quick report that came before replicates: its teacher and TWN model, 640 sentences).
TEACHER="${TEACHER:-runs/report-quick/teacher}"
TERNARY="${TERNARY:-runs/report-quick/rep-1/ternary}"
[ -f "$TEACHER/metrics.json" ] && [ -f "$TERNARY/metrics.json" ] || {
    echo "adaptive-split: $TEACHER and $TERNARY are missing: run bash scripts/run-default first" >&2; exit 1; }
COMMON=(--teacher "$TEACHER" --ternary "$TERNARY" --task rt-polarity --data "$DATA" --max-length 32
        --subset 640 --subset-seed 0 --skip-stage1 --mixed-epochs 1 --finetune-epochs 1 --eval-every 1000
        --probe-examples 64 --sample-seed 0 --trace-matvecs 12 --resolution 256 --threads "$THREADS")

# run NAME BUDGET_MB ARGS...: one adaptive-split into $ROOT/NAME (skipped when finished).
run() {
    local name=$1 budget=$2; shift 2
    local out="$ROOT/$name"
    [ -f "$out/adaptive-split.json" ] && return 0
    echo "== $name: budget $budget MB $*" >&2
    mkdir -p "$out"
    if [ -f "$ROOT/all-binary/sensitivity.csv" ] && [ ! -f "$out/sensitivity.csv" ]; then
        cp "$ROOT/all-binary/sensitivity.csv" "$ROOT/all-binary/sensitivity.json" "$out/"
    fi
    if "$BIN" adaptive-split "${COMMON[@]}" --budget "$budget" --output "$out" "$@" > "$out.json.partial" 2> "$out.log"; then
        mv "$out.json.partial" "$out.json"
    else
        echo "   $name failed: $(tail -1 "$out.log")" >&2
    fi
}

# The feasible range in bytes, from the model's layout (the refusal names it); budgets are given in MB as
# bytes / 1024² written exactly (a power-of-two division), so the ends are the range's own bytes.
range=$("$BIN" adaptive-split "${COMMON[@]}" --budget 1e-9 --output "$ROOT/.range" 2>&1 >/dev/null | sed -n 's/.*= \[\([0-9]*\), \([0-9]*\)\] bytes.*/\1 \2/p' || true)
rm -rf "$ROOT/.range"
read -r low high <<< "$range"
[ -n "$high" ] || { echo "adaptive-split: could not read the feasible range" >&2; exit 1; }
mb() { python3 -c "print(repr(($1) / 1048576))"; }
run all-binary "$(mb "$low")" --selection max
run fully-split "$(mb "$high")" --selection max
for pct in 20 40 60 80; do
    budget=$(mb "$low + ($high - $low) * $pct // 100")
    for gain in measured curvature; do
        run "b$pct-max-$gain" "$budget" --selection max --gain "$gain"
    done
    run "b$pct-random" "$budget" --selection random --selection-seed "$pct"
    for gain in measured curvature; do
        run "b$pct-min-$gain" "$budget" --selection min --gain "$gain"
    done
done
echo "adaptive-split: all runs finished in $ROOT" >&2
