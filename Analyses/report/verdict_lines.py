"""Prints a report's verdicts as the README lists them, from its verdicts.csv (so no number in the README is typed by
hand): the decided claims one per line, `- TEXT: **VERDICT** (mean [low, high]; k of n replicates agree)`, then one
line counting the undecided ones (every claim is in the report's REPORT.md). `--all` lists every claim.
Usage: verdict_lines.py [--all] Plots/standard"""
import csv
import os
import sys

DECIDED = ("supported", "not supported")


def g(x):
    return "—" if x in ("", "nan") else f"{float(x):.3g}"


def line(r):
    interval = f"{g(r['estimate'])} [{g(r['low'])}, {g(r['high'])}]" if r["low"] not in ("", "nan") else g(r["estimate"])
    return f"- {r['text']}: **{r['verdict']}** ({interval}; {r['agree']} of {r['replicates']} replicates agree)"


def main(directory, every):
    with open(os.path.join(directory, "verdicts.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if every or r["verdict"] in DECIDED:
            print(line(r))
    if not every:
        rest = [r["verdict"] for r in rows if r["verdict"] not in DECIDED]
        counts = ", ".join(f"{rest.count(v)} {v}" for v in sorted(set(rest), key=rest.index))
        print(f"- The other {len(rest)} claims ({counts}): listed with their intervals in "
              f"[`{directory}/REPORT.md`]({directory}/REPORT.md#verdicts-verdictscsv-forestcsv).")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--all"]
    main(args[0] if args else "Plots/quick", "--all" in sys.argv[1:])
