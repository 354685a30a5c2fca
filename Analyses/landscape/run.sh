#!/usr/bin/env bash
# Issue 15's loss-surface scans on one seed's models of the quantization table (default seed 42: the full-precision
# teacher, ternary-w2a8 and bwn-w1a8), over the first EXAMPLES training examples (mean loss, eval mode, frozen
# activation quantizers), in the order the acceptance needs them:
#   1. the paper's all-ones probe (Fig. 2): W₁ + x·mean|W₁|·1 on layer 0's value, W₂ + y·mean|W₂|·1 on layer 1's,
#      x, y ∈ [−1, 1] at N points, in the latent space (as the paper) for every model, then the quantized space;
#   2. a filter-normalized random 2-D scan of value@0,1 in the latent space over 3 direction seeds (mean ± std), on an
#      N_FILTER × N_FILTER grid over [−1, 1]².
# Every scan resumes point by point; a finished one is skipped. Several workers share the list:
#   WORKERS=2 bash Analyses/landscape/run.sh   (two processes of one thread, each taking the next free scan)
# A scan whose model is not trained yet is left for a later run. Then summarize.py writes Plots/landscape-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Analyses/lib.sh
require_binary
SEED="${SEED:-42}"
ROOT="${ROOT:-runs/table/seed$SEED}"
OUT="${OUT:-runs/landscape/seed$SEED}"
EXAMPLES="${EXAMPLES:-128}"
N="${N:-11}"
N_FILTER="${N_FILTER:-7}"
WORKERS="${WORKERS:-1}"
THREADS="${THREADS:-1}"
mkdir -p "$OUT"

# name|model|extra options, in acceptance order.
JOBS=(
    "ones-latent-teacher|teacher|--space latent --select value@0 --y-select value@1 --directions ones"
    "ones-latent-ternary-w2a8|ternary-w2a8|--space latent --select value@0 --y-select value@1 --directions ones"
    "ones-latent-bwn-w1a8|bwn-w1a8|--space latent --select value@0 --y-select value@1 --directions ones"
    "ones-quantized-ternary-w2a8|ternary-w2a8|--space quantized --select value@0 --y-select value@1 --directions ones"
    "ones-quantized-bwn-w1a8|bwn-w1a8|--space quantized --select value@0 --y-select value@1 --directions ones"
    "filter-latent-teacher|teacher|--space latent --select value@0,1 --directions filter --direction-seeds 3"
    "filter-latent-ternary-w2a8|ternary-w2a8|--space latent --select value@0,1 --directions filter --direction-seeds 3"
    "filter-latent-bwn-w1a8|bwn-w1a8|--space latent --select value@0,1 --directions filter --direction-seeds 3"
)

done_job() { [ -f "$OUT/$1/surface.json" ] && grep -q '"status" : "complete"' "$OUT/$1/surface.json" || [ -f "$OUT/$1/statistics-summary.csv" ]; }

# worker: takes the first job that is neither done nor locked by a live process, runs it, repeats.
worker() {
    while true; do
        local picked=""
        for job in "${JOBS[@]}"; do
            IFS='|' read -r name model extra <<< "$job"
            done_job "$name" && continue
            finished "$ROOT/$model" || continue
            local lock="$OUT/$name.lock"
            if mkdir "$lock" 2> /dev/null; then echo $BASHPID > "$lock/pid"; picked="$job"; break; fi
            # A lock whose process is gone is stale (a killed run): take it over.
            if ! kill -0 "$(cat "$lock/pid" 2> /dev/null || echo 0)" 2> /dev/null; then echo $BASHPID > "$lock/pid"; picked="$job"; break; fi
        done
        [ -z "$picked" ] && return 0
        IFS='|' read -r name model extra <<< "$picked"
        local n=$N
        [[ $name == filter-* ]] && n=$N_FILTER
        echo "landscape: $name" >&2
        # shellcheck disable=SC2086
        "$BIN" landscape --model "$ROOT/$model" "${RT_POLARITY[@]}" $extra --x=-1:1:$n --y=-1:1:$n --examples "$EXAMPLES" \
            --batch-size 32 --threads "$THREADS" --output "$OUT/$name" > "$OUT/$name.json" 2> "$OUT/$name.log"
        rm -rf "$OUT/$name.lock"
    done
}

for _ in $(seq "$WORKERS"); do worker & sleep 1; done
wait
python3 Analyses/landscape/summarize.py --runs "$OUT" --plots Plots
