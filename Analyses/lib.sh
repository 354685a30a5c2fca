# Shell helpers shared by the analysis drivers (source it).

# The issue-4 recipe's data: rt-polarity, at most 64 tokens; the quantization table distils with batches of
# TABLE_BATCH_SIZE (a student's starting point, `quantize --epochs 0`, must use the same: LSQ steps initialise from
# the first training batch).
DATA=assets/data/rt-polarity
RT_POLARITY=(--task rt-polarity --data "$DATA" --max-length 64)
TABLE_BATCH_SIZE=32

# finetune_resume_flag DIR: prints --resume when DIR holds a checkpoint `finetune --resume` can continue from (the
# rule of TrainingCheckpoint.resumable: checkpoint-last/ or, after an interrupted swap, checkpoint-last.old/).
# `finetune --resume` refuses an OUTPUT without one, e.g. a run stopped before its first checkpoint.
finetune_resume_flag() {
    if [ -f "$1/checkpoint-last/trainer_state.json" ] || [ -f "$1/checkpoint-last.old/trainer_state.json" ]; then
        echo --resume
    fi
}

# finished DIR: a training run (finetune or quantize, --epochs 0 included) finished, i.e. wrote DIR/metrics.json.
finished() { [ -f "$1/metrics.json" ]; }

# quantize_init BIN SEED_DIR CONFIG TEACHER ARGS...: the untrained student of CONFIG (`quantize --epochs 0`: the
# quantized teacher, LSQ steps set from the first training batch as the table's run of CONFIG sets them) into
# SEED_DIR/CONFIG-init, with its dev metrics; skipped when done. ARGS: the bits (and --threads).
quantize_init() {
    local bin=$1 dir=$2 config=$3 teacher=$4; shift 4
    finished "$dir/$config-init" && return 0
    "$bin" quantize "${RT_POLARITY[@]}" --batch-size "$TABLE_BATCH_SIZE" --epochs 0 --teacher "$teacher" \
        --output "$dir/$config-init" --seed "${dir##*seed}" "$@" > /dev/null
}

# dev_eval BIN DIR OUT ARGS...: `binarybert evaluate` of model DIR on the rt-polarity dev set (accuracy and
# cross-entropy) into the JSON file OUT, atomically; skipped when OUT exists.
dev_eval() {
    local bin=$1 dir=$2 out=$3; shift 3
    [ -f "$out" ] && return 0
    "$bin" evaluate --model "$dir" "${RT_POLARITY[@]}" "$@" > "$out.partial"
    mv "$out.partial" "$out"
}

# require_binary: sets BIN to the binarybert the drivers run (default .build/release/binarybert; BIN=... picks
# another build) and builds the release product when it is missing.
require_binary() {
    BIN="${BIN:-.build/release/binarybert}"
    [ -x "$BIN" ] || swift build -c release --product binarybert
}
