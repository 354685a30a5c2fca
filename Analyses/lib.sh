# Shell helpers shared by the analysis drivers (source it).

# finetune_resume_flag DIR: prints --resume when DIR holds a checkpoint `finetune --resume` can continue from (the
# rule of TrainingCheckpoint.resumable: checkpoint-last/ or, after an interrupted swap, checkpoint-last.old/).
# `finetune --resume` refuses an OUTPUT without one, e.g. a run stopped before its first checkpoint.
finetune_resume_flag() {
    if [ -f "$1/checkpoint-last/trainer_state.json" ] || [ -f "$1/checkpoint-last.old/trainer_state.json" ]; then
        echo --resume
    fi
}
