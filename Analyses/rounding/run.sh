#!/usr/bin/env bash
# Do the quick report's verdicts survive a change of floating-point rounding? Runs the quick preset a second time
# with OpenBLAS told to use another core's kernels (default: Haswell; the committed Plots/quick was made with the
# machine's own), into Plots/quick-rounding/ and runs/report-quick-rounding/, then compares every claim of the two
# reports (compare.py): how far each estimate moved against its interval, and whether any verdict flipped between
# supported and not supported. Resumable like any report. Usage: bash Analyses/rounding/run.sh [CORE]
set -euo pipefail
cd "$(dirname "$0")/../.."
CORE="${1:-Haswell}"
BIN=.build/release/binarybert
[ -x "$BIN" ] || swift build -c release --product binarybert
# This analysis (not a test) sets the kernel choice on purpose: that is the rounding change it measures.
OPENBLAS_CORETYPE="$CORE" "$BIN" report --preset quick --work runs/report-quick-rounding --output Plots/quick-rounding ${THREADS:+--threads "$THREADS"}
python3 Analyses/rounding/compare.py Plots/quick Plots/quick-rounding Plots/rounding-check
