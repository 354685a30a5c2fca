#!/bin/bash
# Forward and forward + backward, Swift (`binarybert bench`) against PyTorch (`torch_bert.py --attn eager`), side by
# side in one run on the two instruction-set paths the team's machines have:
#   avx512: OpenBLAS core SkylakeX          beside PyTorch as it comes (ATEN AVX512, MKL's own choice)
#   avx2:   OpenBLAS core Haswell           beside PyTorch held to AVX2 (ATEN_CPU_CAPABILITY=avx2,
#                                            MKL_ENABLE_INSTRUCTIONS=AVX2)
# The two programs take turns ROUNDS times per path (Swift first in odd rounds, PyTorch first in even ones), so a
# drift of the machine's speed falls on both. Prints one JSON object per run on stdout, then a summary line per path:
# median tokens/s of each side and the ratio of the medians.
#
#   PYTHON=/path/to/venv/bin/python BIN=.build/release/binarybert THREADS=2 ROUNDS=3 \
#       bash Benchmarks/peer/fwd_bwd_side_by_side.sh [PATHS...]         # PATHS: avx512 avx2 (default both)
#
# Setting OPENBLAS_CORETYPE here is the point of the benchmark; tests and CI never do.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
BIN=${BIN:-.build/release/binarybert}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
BATCH=${BATCH:-32}
SEQ=${SEQ:-128}
PATHS=("$@")
[ ${#PATHS[@]} -eq 0 ] && PATHS=(avx512 avx2)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

swift_run() {  # $1 core
    OPENBLAS_CORETYPE=$1 "$BIN" bench --json --threads "$THREADS" --batch "$BATCH" --seq "$SEQ" 2>/dev/null
}
torch_run() {  # $1 path
    if [ "$1" = avx2 ]; then
        ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 "$PYTHON" Benchmarks/peer/torch_bert.py \
            --threads "$THREADS" --batch "$BATCH" --seq "$SEQ" --attn eager 2>/dev/null
    else
        "$PYTHON" Benchmarks/peer/torch_bert.py --threads "$THREADS" --batch "$BATCH" --seq "$SEQ" --attn eager 2>/dev/null
    fi
}

for path in "${PATHS[@]}"; do
    case $path in
        avx512) core=SkylakeX ;;
        avx2) core=Haswell ;;
        *) echo "fwd_bwd_side_by_side.sh: unknown path '$path' (avx512 or avx2)" >&2; exit 2 ;;
    esac
    for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) -eq 1 ]; then
            swift_run $core | tee -a "$out/swift-$path.jsonl"; torch_run $path | tee -a "$out/torch-$path.jsonl"
        else
            torch_run $path | tee -a "$out/torch-$path.jsonl"; swift_run $core | tee -a "$out/swift-$path.jsonl"
        fi
    done
done

"$PYTHON" - "$out" "${PATHS[@]}" <<'EOF'
import json, statistics, sys
out, paths = sys.argv[1], sys.argv[2:]
for path in paths:
    s = [json.loads(l) for l in open(f"{out}/swift-{path}.jsonl")]
    t = [json.loads(l) for l in open(f"{out}/torch-{path}.jsonl")]
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    line = {"path": path, "blas_core": s[0].get("blas_core"), "threads": s[0].get("threads"), "rounds": len(s)}
    for k in ("fwd_tokens_per_s", "fwd_bwd_tokens_per_s"):
        line["swift_" + k] = round(med(s, k), 1)
        line["torch_" + k] = round(med(t, k), 1)
        line["ratio_" + k] = round(med(s, k) / med(t, k), 3)
    line["swift_fraction_of_peak_fwd_bwd"] = round(med(s, "fraction_of_peak_fwd_bwd"), 3)
    line["sgemm_peak_gflops"] = round(med(s, "sgemm_peak_gflops"), 1)
    # The same square products through PyTorch's BLAS (MKL): whose GEMMs are faster bounds the ratio above.
    if all("sgemm_peak_gflops" in r for r in t):
        line["torch_fraction_of_peak_fwd_bwd"] = round(med(t, "fraction_of_peak_fwd_bwd"), 3)
        line["torch_sgemm_peak_gflops"] = round(med(t, "sgemm_peak_gflops"), 1)
        line["ratio_sgemm_peak"] = round(med(s, "sgemm_peak_gflops") / med(t, "sgemm_peak_gflops"), 3)
    print(json.dumps({"summary": line}))
EOF
