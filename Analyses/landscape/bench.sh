#!/usr/bin/env bash
# The landscape benchmark of the README: `binarybert bench-landscape` (prefix-cached scan against a full forward per
# point, same points, alternated) and then Benchmarks/peer/torch_landscape.py (what loss-landscape does: set the
# weights, full forward) on the same model, examples, directions and points, one thread each; both into
# Plots/landscape-bench.json. The seed-42 teacher, 256 dev sentences, 21×21 grid of filter-normalized directions,
# POINTS of its points spread over the grid.
#   POINTS=24 bash Analyses/landscape/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source Analyses/lib.sh
require_binary
SEED="${SEED:-42}"
POINTS="${POINTS:-24}"
THREADS="${THREADS:-1}"
OUT="${OUT:-runs/landscape/bench}"
teacher="runs/table/seed$SEED/teacher"
mkdir -p "$OUT"
"$BIN" bench-landscape --model "$teacher" "${RT_POLARITY[@]}" --split dev --examples 256 --points "$POINTS" \
    --select value@0,1 --select ffn-output@5 --threads "$THREADS" --output "$OUT" > "$OUT/swift.json.partial" 2> "$OUT/swift.log"
mv "$OUT/swift.json.partial" "$OUT/swift.json"
python3 Benchmarks/peer/torch_landscape.py --model "$teacher" --swift "$OUT/swift.json" --directions "$OUT" --threads "$THREADS" \
    > "$OUT/torch.json.partial" 2> "$OUT/torch.log"
mv "$OUT/torch.json.partial" "$OUT/torch.json"
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
swift, torch = (json.load(open(os.path.join(out, f))) for f in ("swift.json", "torch.json"))
rows = []
for s, t in zip(swift["results"], torch["results"]):
    rows.append({"select": s["select"], "points": s["points"], "boundary": s["boundary"], "layer_entry": s["layer_entry"],
                 "cache_mb": s["cache_bytes"] / 2**20, "naive_points_per_second": s["naive_points_per_second"],
                 "prefix_only_points_per_second": s["prefix_only_points_per_second"], "affine_stage": s["affine_stage"],
                 "cached_points_per_second": s["cached_points_per_second"], "cached_over_naive": s["speedup"],
                 "torch_points_per_second": t["points_per_second"],
                 "cached_over_torch": s["cached_points_per_second"] / t["points_per_second"],
                 "max_loss_difference_cached_vs_naive": s["max_loss_difference"],
                 "max_loss_difference_prefix_only_vs_naive": s["max_loss_difference_prefix_only"],
                 "max_loss_difference_vs_torch": t["max_loss_difference_vs_swift"]})
doc = {"swift": {k: swift[k] for k in ("version", "threads", "blas_core", "dtype", "split", "examples", "indices_sha256", "max_length",
                                        "batch_size", "batching", "grid", "model_sha256")},
       "torch": {k: torch[k] for k in ("torch", "threads", "blas")}, "results": rows}
tmp = "Plots/.landscape-bench.json.tmp"
with open(tmp, "w") as f:
    json.dump(doc, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(tmp, "Plots/landscape-bench.json")
print(json.dumps(rows))
PY
