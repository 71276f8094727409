#!/bin/bash
# Compares two builds of the loss-step benchmark on this machine, alternating them so that both see the same load:
#   bench/compare_loss_step.sh BEFORE_DIR AFTER_DIR OUT_DIR [RUNS] [ROUNDS]
# BEFORE_DIR and AFTER_DIR hold a Release build of bench/Xbm.Bench each (copy bin/Release/net10.0 aside before a
# change). Each of RUNS (default 3) runs both, ROUNDS (default 5) rounds each, with --both; OUT_DIR gets the outputs.
set -euo pipefail
before=$1 after=$2 out=$3 runs=${4:-3} rounds=${5:-5}
mkdir -p "$out"
for i in $(seq 1 "$runs"); do
  for v in before after; do
    dir=$before; [ "$v" = after ] && dir=$after
    dotnet "$dir/Xbm.Bench.dll" loss-step "$rounds" --both > "$out/$v-$i.txt" 2>&1
  done
done
