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
