#!/usr/bin/env bash
# Issue 14's curvature results on one seed's models of the quantization table (default seed 42: the full-precision
# teacher, ternary-w2a8 and bwn-w1a8; missing ones are skipped and added on a later run):
#   1. the PyTorch check: top-3 Hessian eigenvalues of value@0,1 over the first 64 training examples of the teacher,
#      Swift in float64 and float32 against Benchmarks/peer/torch_hessian.py in float64 (double backward, ARPACK);
#   2. the per-module table (paper Fig. 3): λ_max and λ_min of MHA-QK, MHA-V, MHA-O, FFN-Mid, FFN-Out in every layer
#      on 2 disjoint training mini-batches of 32, for every model, ratios to the teacher with bootstrap intervals.
# Every step is skipped when its output exists; the per-module table resumes cell by cell (and extends a finished
# table with a model that was missing); 3. bench-hessian beside the PyTorch peer. Then summarize.py writes
# Plots/curvature-*.{csv,json,md}.
#
#   SEED=42 THREADS=2 bash Analyses/curvature/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source Analyses/lib.sh
require_binary
SEED="${SEED:-42}"
THREADS="${THREADS:-$(nproc)}"
ROOT="${ROOT:-runs/table}"
OUT="${OUT:-runs/curvature/seed$SEED}"
BATCHES="${BATCHES:-2}"
DTYPE="${DTYPE:-float32}"
mkdir -p "$OUT"
teacher="$ROOT/seed$SEED/teacher"
finished "$teacher" || { echo "curvature: $teacher is not trained yet (Analyses/quantization-table/run.sh)" >&2; exit 1; }

# 1. value@0,1 top-3 against PyTorch (float64 reference).
for dt in float64 float32; do
    [ -f "$OUT/value01-$dt/hessian.json" ] || "$BIN" hessian --model "$teacher" "${RT_POLARITY[@]}" --select value@0,1 \
        --top-k 3 --examples 64 --batch-size 32 --tol 1e-10 --max-hvps 300 --dtype "$dt" --seed "$SEED" --threads "$THREADS" \
        --output "$OUT/value01-$dt" > /dev/null
done
if [ ! -f "$OUT/torch-value01.json" ]; then
    python3 Benchmarks/peer/torch_hessian.py --model "$teacher" --select value@0,1 --examples 64 --batch-size 32 --max-length 64 \
        --mode eigsh --top-k 3 --dtype float64 --threads "$THREADS" > "$OUT/torch-value01.json.partial"
    mv "$OUT/torch-value01.json.partial" "$OUT/torch-value01.json"
fi

# 2. The per-module table over every model that exists.
models=()
for name in teacher ternary-w2a8 bwn-w1a8; do
    if finished "$ROOT/seed$SEED/$name"; then models+=(--model "$ROOT/seed$SEED/$name"); else echo "curvature: skipping $name (not trained yet)" >&2; fi
done
"$BIN" hessian "${models[@]}" "${RT_POLARITY[@]}" --per-module --batches "$BATCHES" --batch-size 32 --tol 1e-3 --max-hvps 80 \
    --dtype "$DTYPE" --seed "$SEED" --threads "$THREADS" --output "$OUT/per-module" > /dev/null

# 3. Benchmarks (the curvature performance table of Plots/REPORT.md): one 32-example batch, float32, one thread each.
B="$OUT/bench"; mkdir -p "$B"
# Padded batches (swift.json: the peer's layout, like for like), then packed ones (swift-packed.json: the default for a
# full-precision model).
for batching in padded packed; do
    name=swift; [ "$batching" = packed ] && name=swift-packed
    [ -f "$B/$name.json" ] || { "$BIN" bench-hessian --model "$teacher" "${RT_POLARITY[@]}" --examples 32 --batch-size 32 --select value@0,1 \
        --top-k 5 --max-hvps 60 --iters 3 --batching "$batching" --threads 1 > "$B/$name.json.partial" && mv "$B/$name.json.partial" "$B/$name.json"; }
done
for mode in power cost; do
    [ -f "$B/torch-$mode.json" ] || { python3 Benchmarks/peer/torch_hessian.py --model "$teacher" --select value@0,1 --examples 32 \
        --batch-size 32 --mode $mode --top-k 5 --dtype float32 --threads 1 > "$B/torch-$mode.json.partial" && mv "$B/torch-$mode.json.partial" "$B/torch-$mode.json"; }
done

# 4. The spectral density (SLQ), trace (Hutch++) and top eigenvector of value@0,1 for every model on the first 32
#    training examples, then the loss along each model's top eigenvector (1-D, ±1 in units of the unit eigenvector;
#    the students in ŵ, where their Hessian is).
DENS="$OUT/density-value01"
[ -f "$DENS/hessian.json" ] || "$BIN" hessian "${models[@]}" "${RT_POLARITY[@]}" --select value@0,1 --top-k 1 --tol 1e-3 --max-hvps 60 \
    --trace --trace-matvecs 20 --density --runs 3 --steps 30 --examples 32 --batch-size 32 --seed "$SEED" --dtype float32 \
    --threads "$THREADS" --output "$DENS" > /dev/null
for name in teacher ternary-w2a8 bwn-w1a8; do
    f="$DENS/$name/top-0.safetensors"
    [ -f "$f" ] || continue
    "$BIN" landscape --model "$ROOT/seed$SEED/$name" "${RT_POLARITY[@]}" --select value@0,1 --directions "hessian:$f" \
        --space quantized --x=-1:1:21 --examples 32 --batch-size 32 --threads "$THREADS" --output "$OUT/eigen-1d/$name" > /dev/null
done

# 5. The quadratic check of the students: how much of L(ŵ) − L(w) the model gᵀε + ½εᵀHε explains, ε = ŵ − w over
#    every quantized tensor (32 examples).
students=()
for name in ternary-w2a8 bwn-w1a8; do finished "$ROOT/seed$SEED/$name" && students+=(--model "$ROOT/seed$SEED/$name"); done
[ ${#students[@]} -eq 0 ] || [ -f "$OUT/quadratic-check/hessian.json" ] || "$BIN" hessian "${students[@]}" "${RT_POLARITY[@]}" \
    --select 'all-quantized@*' --top-k 1 --tol 1e-2 --max-hvps 30 --quadratic-check --examples 32 --batch-size 32 --seed "$SEED" \
    --dtype float32 --threads "$THREADS" --output "$OUT/quadratic-check" > /dev/null

python3 Analyses/curvature/summarize.py --root "$OUT"
