#!/bin/bash
# Do two binaries compute the same bits? Runs one covering set of small commands with each — fine-tuning, BWN and TWN
# distillation with learning curves, evaluation in float32 and float64, Hessian spectra, trace and density (float32
# and float64), the per-module table, a filter-normalized surface, adaptive sharpness — and compares every output:
# tensors byte for byte (safetensors metadata aside: it names the output folder), CSV and JSON values exactly, apart
# from what a run cannot repeat (seconds, examples per second) or what names the run (paths, --threads).
#
#   bash Analyses/profile/same_bits.sh OLD_BINARY NEW_BINARY [OLD_THREADS NEW_THREADS]     # default threads 1 and 2
#
# Needs the quick report's teacher (runs/report-quick/teacher, from `binarybert report --preset quick`) or
# TEACHER=DIR; prints one JSON object (files compared, the differing ones) and exits 1 when any differs.
# NEW_QUANTIZE_ARGS adds options to the new binary's two distillations, e.g. "--teacher-cache DIR" (an empty DIR:
# the TWN run then reads the teacher targets the BWN run stored, both drawing the same batches).
set -euo pipefail
cd "$(dirname "$0")/../.."
OLD=$1 NEW=$2 OLD_THREADS=${3:-1} NEW_THREADS=${4:-2}
TEACHER=${TEACHER:-runs/report-quick/teacher}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
Q=(--task rt-polarity --data assets/data/rt-polarity --max-length 32)

run_set() {  # $1 binary, $2 folder, $3 threads, $4 extra quantize options (one string, split on spaces)
    local B=$1 O=$2 TH=$3
    local -a QX=()
    read -r -a QX <<< "${4:-}"
    mkdir -p "$O"
    "$B" finetune --model "$TEACHER" "${Q[@]}" --subset 64 --subset-seed 0 --epochs 1 --lr 5e-5 --batch-size 16 \
        --eval-every 1000 --seed 7 --output "$O/ft" --threads "$TH"
    "$B" quantize --teacher "$TEACHER" "${Q[@]}" --output "$O/bwn" --weight-bits 1 --epochs 1 --lr 5e-5 --batch-size 16 \
        --eval-every 1000 --log-every 2 --curve-every 2 --seed 1 --subset 64 --subset-seed 0 --threads "$TH" "${QX[@]}"
    "$B" quantize --teacher "$TEACHER" "${Q[@]}" --output "$O/tern" --weight-bits 2 --epochs 1 --lr 5e-5 --batch-size 16 \
        --eval-every 1000 --seed 1 --subset 64 --subset-seed 0 --threads "$TH" "${QX[@]}"
    "$B" evaluate --model "$O/bwn" "${Q[@]}" --threads "$TH" > "$O/evaluate-bwn.json"
    "$B" evaluate --model "$O/tern" "${Q[@]}" --dtype float64 --threads "$TH" > "$O/evaluate-tern-float64.json"
    "$B" hessian --model "$TEACHER" --model "$O/bwn" "${Q[@]}" --select value@0,1 --top-k 1 --bottom-k 1 --tol 0.01 \
        --max-hvps 12 --trace --estimator hutchpp --trace-matvecs 9 --density --runs 1 --steps 10 --examples 12 \
        --sample-seed 1 --batch-size 12 --seed 1 --dtype float32 --output "$O/spectra" --threads "$TH"
    "$B" hessian --model "$O/bwn" "${Q[@]}" --select 'all@*' --top-k 2 --tol 0.001 --max-hvps 8 --trace \
        --estimator hutchinson --trace-matvecs 4 --examples 8 --sample-seed 1 --batch-size 8 --seed 1 --dtype float64 \
        --output "$O/hessian-float64" --threads "$TH"
    "$B" hessian --model "$O/tern" "${Q[@]}" --per-module --layers 0,5 --batches 1 --examples 12 --sample-seed 1 \
        --batch-size 12 --tol 0.01 --max-hvps 10 --seed 1 --dtype float32 --output "$O/per-module" --threads "$TH"
    "$B" landscape --model "$O/bwn" "${Q[@]}" --space latent --select value@0,1 --directions filter --direction-seed 1000 \
        --direction-seeds 1 --x=-1:1:5 --y=-1:1:5 --examples 16 --sample-seed 1 --batch-size 16 --output "$O/landscape" \
        --threads "$TH"
    "$B" sharpness --model "$O/tern" "${Q[@]}" --select 'all-quantized@*' --rho 0.5 --scale steps --steps 0 --seed 1 \
        --examples 16 --sample-seed 1 --batch-size 16 --output "$O/sharpness" --threads "$TH"
}

echo "same_bits: $OLD at $OLD_THREADS thread(s)" >&2
run_set "$OLD" "$WORK/old" "$OLD_THREADS" > "$WORK/old.log" 2>&1 || { cat "$WORK/old.log" >&2; exit 2; }
echo "same_bits: $NEW at $NEW_THREADS thread(s)" >&2
run_set "$NEW" "$WORK/new" "$NEW_THREADS" "${NEW_QUANTIZE_ARGS:-}" > "$WORK/new.log" 2>&1 || { cat "$WORK/new.log" >&2; exit 2; }

python3 - "$WORK" <<'EOF'
import csv, json, os, struct, sys
work = sys.argv[1]
old, new = os.path.join(work, "old"), os.path.join(work, "new")
UNREPEATABLE = {"seconds", "seconds_last_run", "examples_per_s", "started", "finished", "threads", "command",
                "output", "eigenvector_files", "path", "model_dir", "wall_seconds"}

def tensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    header.pop("__metadata__", None)
    return header, b[8 + n:]

def scrub(x, root):
    if isinstance(x, dict):
        return {k: scrub(v, root) for k, v in x.items() if k not in UNREPEATABLE and "seconds" not in k}
    if isinstance(x, list):
        return [scrub(v, root) for v in x]
    if isinstance(x, str):
        return x.replace(root, "<run>")
    return x

def rows(path, root):
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    if not table:
        return table
    keep = [i for i, name in enumerate(table[0]) if name not in UNREPEATABLE and "seconds" not in name]
    return [[r[i].replace(root, "<run>") for i in keep if i < len(r)] for r in table]

compared, differing = 0, []
for dirpath, _, files in os.walk(old):
    for name in sorted(files):
        a = os.path.join(dirpath, name)
        rel = os.path.relpath(a, old)
        b = os.path.join(new, rel)
        if name.endswith((".log", ".lock")) or "checkpoint" in rel:
            continue
        compared += 1
        if not os.path.exists(b):
            differing.append(rel + " (missing)"); continue
        if name.endswith(".safetensors"):
            same = tensors(a) == tensors(b)
        elif name.endswith(".json"):
            try:
                same = scrub(json.load(open(a)), old) == scrub(json.load(open(b)), new)
            except json.JSONDecodeError:
                same = open(a, "rb").read() == open(b, "rb").read()
        elif name.endswith(".csv"):
            same = rows(a, old) == rows(b, new)
        else:
            same = open(a, "rb").read() == open(b, "rb").read()
        if not same:
            differing.append(rel)
print(json.dumps({"files_compared": compared, "differing": differing, "same_bits": not differing}))
sys.exit(1 if differing else 0)
EOF
