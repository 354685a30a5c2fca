#!/usr/bin/env bash
# `binarybert quantize` and its PyTorch peer (Benchmarks/peer/torch_distill.py) back to back with the same options,
# then the ratio Swift s/step ÷ torch s/step per distillation stage (Swift: trainSeconds / steps of each stage's
# metrics.json; torch: mean and median of its timed steps). Both time the same work per step: batch, teacher
# forward, student forward, loss, backward, optimizer(s), re-quantization; dev evaluation is outside.
#
#   Benchmarks/peer/distill_side_by_side.sh [TEACHER]     (default: runs/report-quick/teacher)
#   env: BITS=1|2  SUBSET=256  SUBSET_SEED=0  EPOCHS=1 (per stage)  MAX_LENGTH=32  THREADS=1
#        PYTHON=python3 (with torch, transformers, safetensors)  BINARYBERT=.build/release/binarybert  OUT=/tmp/distill-sbs
#        TEACHER_CACHE=1: as in a report's replicate, another student of the same seed (the other of BWN/TWN, untimed)
#        first stores the teacher's targets in OUT/teacher-cache, and the timed Swift run reads them (the peer still
#        runs its teacher every step: that row is a student's cost in a replicate, not a like-for-like step).
# Writes OUT/{info.json,swift.json,swift.log,swift/,torch.json,torch.log,summary.json}; prints the summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
TEACHER=${1:-runs/report-quick/teacher}
BITS=${BITS:-1} SUBSET=${SUBSET:-256} SUBSET_SEED=${SUBSET_SEED:-0} EPOCHS=${EPOCHS:-1}
MAX_LENGTH=${MAX_LENGTH:-32} THREADS=${THREADS:-1}
PYTHON=${PYTHON:-python3} B=${BINARYBERT:-.build/release/binarybert} OUT=${OUT:-/tmp/distill-sbs}
DATA=assets/data/rt-polarity
COMMON=(--teacher "$TEACHER" --max-length "$MAX_LENGTH" --epochs "$EPOCHS"
        --subset "$SUBSET" --subset-seed "$SUBSET_SEED" --threads "$THREADS")

mkdir -p "$OUT"
rm -rf "$OUT/swift" "$OUT/fill" "$OUT/teacher-cache"
"$B" info --json > "$OUT/info.json"
CACHE=()
if [ -n "${TEACHER_CACHE:-}" ]; then
    OTHER=$(( BITS == 1 ? 2 : 1 ))
    echo "swift: W${OTHER}A8 stores the teacher's targets in $OUT/teacher-cache (untimed)" >&2
    "$B" quantize "${COMMON[@]}" --task rt-polarity --data "$DATA" --output "$OUT/fill" \
        --teacher-cache "$OUT/teacher-cache" --weight-bits "$OTHER" > /dev/null 2> "$OUT/fill.log"
    CACHE=(--teacher-cache "$OUT/teacher-cache")
fi
echo "swift: quantize W${BITS}A8, subset $SUBSET, $EPOCHS epoch(s) per stage, $THREADS thread(s)${CACHE:+, teacher targets read from the cache}" >&2
"$B" quantize "${COMMON[@]}" --weight-bits "$BITS" --task rt-polarity --data "$DATA" --output "$OUT/swift" --log-every 1 "${CACHE[@]}" \
    > "$OUT/swift.json" 2> "$OUT/swift.log"
echo "torch: torch_distill.py, same options" >&2
"$PYTHON" Benchmarks/peer/torch_distill.py "${COMMON[@]}" --weight-bits "$BITS" --data "$DATA" > "$OUT/torch.json" 2> "$OUT/torch.log"

"$PYTHON" - "$OUT" "$(cat /proc/loadavg)" "${TEACHER_CACHE:+read}" <<'EOF'
import json, os, sys
out, load, cache = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
info = json.load(open(f"{out}/info.json"))
peer = json.load(open(f"{out}/torch.json"))
def get(d, *keys):
    return next(d[k] for k in keys if k in d)
stages = []
for s, path in ((1, "swift/stage1/metrics.json"), (2, "swift/metrics.json")):
    m = json.load(open(os.path.join(out, path)))
    steps, secs = get(m, "steps"), get(m, "trainSeconds", "train_seconds")
    p = peer["stages"][s - 1]
    assert p["steps"] == steps, f"stage {s}: {steps} Swift steps, {p['steps']} torch steps"
    stages.append({"stage": s, "steps": steps,
                   "swift_seconds_per_step": secs / steps,
                   "torch_seconds_per_step_mean": p["seconds_per_step_mean"],
                   "torch_seconds_per_step_median": p["seconds_per_step_median"],
                   "ratio_swift_over_torch_mean": secs / steps / p["seconds_per_step_mean"],
                   "ratio_swift_over_torch_median": secs / steps / p["seconds_per_step_median"],
                   "swift_final_dev_accuracy": get(m, "final").get("accuracy"),
                   "torch_final_dev_accuracy": p["final_dev_accuracy"]})
swift_train = json.load(open(f"{out}/swift/metrics.json"))
summary = {"threads": peer["threads"], "swift_threads": get(swift_train, "threads"),
           "blas_core": info.get("blas_core"), "blas_config": info.get("blas_config"),
           "torch": peer["torch_version"], "torch_blas": peer["blas"], "torch_cpu_capability": peer["cpu_capability"],
           "same_training_data": peer["train_data_sha256"] == get(swift_train, "trainDataSha256", "train_data_sha256"),
           "swift_teacher_targets": "read from the cache" if cache else "computed every step",
           "loadavg_after": load, "stages": stages}
json.dump(summary, open(f"{out}/summary.json", "w"), indent=1)
print(json.dumps(summary, indent=1))
EOF
