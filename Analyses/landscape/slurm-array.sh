#!/usr/bin/env bash
# One loss-surface scan as a Slurm job array: each array task computes the points k ≡ task mod count of the grid
# (`binarybert landscape` reads SLURM_ARRAY_TASK_ID/COUNT itself), and a dependent job merges the parts.
#   sbatch Analyses/landscape/slurm-array.sh                 # 8 tasks
#   sbatch --dependency=afterok:<jobid> --wrap "binarybert landscape --merge runs/landscape/slurm"
# A task that was killed or preempted resumes its part when resubmitted (sbatch --array=<ids>).
#SBATCH --job-name=bb-landscape
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
set -euo pipefail
BIN="${BIN:-.build/release/binarybert}"
"$BIN" landscape --model runs/table/seed42/bwn-w1a8 --task rt-polarity --data assets/data/rt-polarity --max-length 64 \
    --space latent --select value@0,1 --directions filter --x=-1:1:21 --y=-1:1:21 --examples 256 \
    --threads "${SLURM_CPUS_PER_TASK:-1}" --output runs/landscape/slurm
