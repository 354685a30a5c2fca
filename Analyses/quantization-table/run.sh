#!/usr/bin/env bash
# The issue-4 accuracy table on rt-polarity with MiniLM-L6 (max length 64): for every seed, a full-precision teacher,
# then ternary / TWS binary / BWN students with 8- and 4-bit activations, full and half width. Every step is
# resumable: a finished step (metrics.json present) is skipped, an interrupted one continues with --resume.
# Afterwards `python3 Analyses/quantization-table/summarize.py` writes Plots/quantization-table.{csv,json,md}.
#
#   SEEDS="42 43 44" CONFIGS="ternary-w2a8 tws-w1a8 bwn-w1a8" bash Analyses/quantization-table/run.sh
#
# Cost on 2 cores (AMD EPYC, --threads 2): teacher ~25 min; a 2-epoch-per-stage distillation ~45 min; BWN (twice
# the epochs) ~90 min; about 8 hours per seed for every config.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEEDS="${SEEDS:-42 43 44}"
ALL="ternary-w2a8 tws-w1a8 bwn-w1a8 ternary-w2a4 tws-w1a4 bwn-w1a4 ternary-half-w2a8 tws-half-w1a8 laq-w2a8"
# Also runnable by name, not in ALL: uniform-w8a8 uniform-w4a8 bwn-w1a8-1x (the bits sweep, Analyses/bits-sweep).
CONFIGS="${CONFIGS:-$ALL}"
THREADS="${THREADS:-$(nproc)}"
ROOT="${ROOT:-runs/table}"
MODEL=assets/models/all-MiniLM-L6-v2
source Analyses/lib.sh
COMMON=("${RT_POLARITY[@]}" --eval-every 100 --threads "$THREADS")

require_binary
[ -d "$MODEL" ] && [ -d "$DATA" ] || bash scripts/fetch-assets

# quantize --resume continues what OUTPUT holds (a narrowed teacher, a finished stage 1, a checkpoint); it refuses an
# OUTPUT without any of these, which then starts afresh.
resume_flag() {
    local d=$1
    if [ -f "$d/stage1/metrics.json" ] || ls -d "$d"/teacher-w* "$d"/stage1/checkpoint-last* "$d"/checkpoint-last* >/dev/null 2>&1; then
        echo --resume
    fi
}

# quantize NAME SEED ARGS...: one distillation into $ROOT/seed$SEED/NAME, then its packed size.
quantize() {
    local name=$1 seed=$2; shift 2
    local out="$ROOT/seed$seed/$name"
    if ! finished "$out"; then
        echo "== seed $seed: $name" >&2
        local start resumed; start=$(date +%s); resumed=$(resume_flag "$out")
        "$BIN" quantize "${COMMON[@]}" --batch-size "$TABLE_BATCH_SIZE" --output "$out" --seed "$seed" $resumed "$@" > "$out.json.partial"
        mv "$out.json.partial" "$out.json"
        # Wall time only for a run done in one go (a resumed one's earlier part is unknown).
        if [ -z "$resumed" ]; then echo "$(( $(date +%s) - start ))" > "$out.seconds"; else rm -f "$out.seconds"; fi
    fi
    [ -f "$out/packed.json" ] || "$BIN" export --packed --model "$out" --output "$out-packed" > "$out/packed.json"
}

# split NAME FROM SEED: ternary weight splitting of FROM into the binary initialisation NAME-split.
split() {
    local from="$ROOT/seed$3/$2" out="$ROOT/seed$3/$1-split"
    [ -f "$out/quantization.json" ] || "$BIN" split --model "$from" --output "$out"
}

wants() { [[ " $CONFIGS " == *" $1 "* ]]; }

for seed in $SEEDS; do
    mkdir -p "$ROOT/seed$seed"
    teacher="$ROOT/seed$seed/teacher"
    if ! finished "$teacher"; then
        echo "== seed $seed: full-precision teacher" >&2
        # shellcheck disable=SC2046
        # The recipe that reaches 86% (README, issue 3): batch 16, lr 3e-5, 3 epochs, best dev checkpoint kept.
        "$BIN" finetune --model "$MODEL" "${COMMON[@]}" --output "$teacher" --epochs 3 --lr 3e-5 --batch-size 16 --seed "$seed" \
            $(finetune_resume_flag "$teacher") > "$teacher.json"
    fi
    T=(--teacher "$teacher")
    for a in 8 4; do
        if wants "ternary-w2a$a" || wants "tws-w1a$a"; then quantize "ternary-w2a$a" "$seed" "${T[@]}" --weight-bits 2 --act-bits $a --epochs 2; fi
        if wants "tws-w1a$a"; then
            split "tws-w1a$a" "ternary-w2a$a" "$seed"
            quantize "tws-w1a$a" "$seed" "${T[@]}" --init "$ROOT/seed$seed/tws-w1a$a-split" --weight-bits 1 --act-bits $a --epochs 2
        fi
        if wants "bwn-w1a$a"; then quantize "bwn-w1a$a" "$seed" "${T[@]}" --weight-bits 1 --act-bits $a --epochs 4; fi
    done
    # Accuracy against weight bits at 8-bit activations (paper Fig. 1; Analyses/bits-sweep): 8- and 4-bit uniform
    # weights, and BWN at the same 2 epochs per stage as every other bit width. Not in the default set.
    for b in 8 4; do
        if wants "uniform-w${b}a8"; then quantize "uniform-w${b}a8" "$seed" "${T[@]}" --weight-bits $b --act-bits 8 --epochs 2; fi
    done
    if wants "bwn-w1a8-1x"; then quantize "bwn-w1a8-1x" "$seed" "${T[@]}" --weight-bits 1 --act-bits 8 --epochs 2; fi
    # Loss-aware ternarization (LAQ) against TWN at the same recipe.
    if wants "laq-w2a8"; then quantize "laq-w2a8" "$seed" "${T[@]}" --weight-bits 2 --weight-method laq --act-bits 8 --epochs 2; fi
    # The paper's BinaryBERT: a half-width ternary model (ranked, sliced, its own fine-tuned teacher) split into a
    # full-width binary one, fine-tuned with the half-width teacher.
    if wants "ternary-half-w2a8" || wants "tws-half-w1a8"; then
        quantize "ternary-half-w2a8" "$seed" "${T[@]}" --width 0.5 --weight-bits 2 --act-bits 8 --epochs 2
    fi
    if wants "tws-half-w1a8"; then
        split "tws-half-w1a8" "ternary-half-w2a8" "$seed"
        half_teacher=$(ls -d "$ROOT/seed$seed/ternary-half-w2a8"/teacher-w* | head -1)
        quantize "tws-half-w1a8" "$seed" --teacher "$half_teacher" --init "$ROOT/seed$seed/tws-half-w1a8-split" \
            --weight-bits 1 --act-bits 8 --epochs 2
    fi
done
python3 Analyses/quantization-table/summarize.py --root "$ROOT"
