#!/usr/bin/env bash
# Peer benchmark of `hessian --curvature hessian|ggn`: wall time to the top-5 eigenvalues of value@0,1 on a MiniLM-L6
# classifier (the pinned encoder with a seeded, untrained 2-way head), Swift (release) against curvlinops + scipy's
# eigsh and hessian-eigenthings' Lanczos, same model, data, float64 and threads. Each run is capped at $CAP seconds.
#   PY=/tmp/venv/bin/python BIN=.build/release/binarybert bash Analyses/ggn/bench.sh   → Analyses/ggn/bench/*.json
set -u
cd "$(dirname "$0")/../.."
PY=${PY:-python3}; BIN=${BIN:-.build/release/binarybert}; ASSETS=${BINARYBERT_ASSETS:-assets}
THREADS=${THREADS:-2}; EXAMPLES=${EXAMPLES:-8}; BATCH=${BATCH:-4}; TOPK=${TOPK:-5}; CAP=${CAP:-900}
WORK=${WORK:-/tmp/ggn-peer}; OUT=Analyses/ggn/bench
mkdir -p "$WORK" "$OUT"
MODEL=$WORK/minilm-cls
[ -f "$MODEL/model.safetensors" ] || $PY Benchmarks/peer/torch_ggn.py --make-classifier "$ASSETS/models/all-MiniLM-L6-v2" --model "$MODEL"
DATA=$ASSETS/data/rt-polarity
COMMON=(--examples "$EXAMPLES" --batch-size "$BATCH" --max-length 64 --threads "$THREADS")
for c in ggn hessian; do
    timeout "$CAP" nice -n 19 "$BIN" hessian --model "$MODEL" --task rt-polarity --data "$DATA" --select value@0,1 --top-k "$TOPK" \
        --curvature "$c" --dtype float64 --output "$WORK/swift-$c" "${COMMON[@]}" > "$OUT/swift-$c.json" 2> "$WORK/swift-$c.log" \
        || echo "{\"timed_out_or_failed\": true, \"cap_seconds\": $CAP}" > "$OUT/swift-$c.json"
done
for lib in curvlinops eigenthings; do
    for c in ggn hessian; do
        timeout "$CAP" nice -n 19 "$PY" Benchmarks/peer/torch_ggn.py --model "$MODEL" --data "$DATA/movieReviewSnippets_GroundTruth.txt" \
            --curvature "$c" --library "$lib" --top-k "$TOPK" --dtype float64 "${COMMON[@]}" > "$OUT/$lib-$c.json" 2> "$WORK/$lib-$c.log" \
            || echo "{\"timed_out_or_failed\": true, \"cap_seconds\": $CAP}" > "$OUT/$lib-$c.json"
    done
done
