#!/usr/bin/python3
"""Summarises the outputs of bench/compare_loss_step.sh: per loss, the median over runs of each build's paired ratio
(step / bare product, itself a median over rounds), their quotient, and the geometric mean of the quotients.

Usage: bench/summarize_loss_step.py OUT_DIR
"""
import math
import pathlib
import re
import statistics
import sys

ROW = re.compile(r"\| `(.+?)` \| [\d.]+ ms \| \*\*([\d.]+)\*\* \| ([\d.]+) \|")


def parse(path):
    rows = {}
    for line in path.read_text().splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return rows


def main(folder):
    folder = pathlib.Path(folder)
    before = [parse(p) for p in sorted(folder.glob("before-*.txt"))]
    after = [parse(p) for p in sorted(folder.glob("after-*.txt"))]
    print(f"| loss (config) | before: paired ratio | after: paired ratio | after / before |")
    print("|---|---:|---:|---:|")
    quotients = []
    for loss in before[0]:
        b = statistics.median(run[loss][0] for run in before)
        a = statistics.median(run[loss][0] for run in after)
        quotients.append(a / b)
        print(f"| `{loss}` | {b:.2f} | {a:.2f} | {a / b:.3f} |")
    print(f"\ngeometric mean of after / before over {len(quotients)} rows: "
          f"{math.exp(sum(map(math.log, quotients)) / len(quotients)):.3f} ({len(before)} runs of each build)")


if __name__ == "__main__":
    main(sys.argv[1])
