#!/bin/sh
# The studies of docs/classification.md (issue 15), 3 seeds each, one thread per run:
#   (a) Fashion-MNIST classification on 50 % of the training file: cross-entropy against cross-entropy + memory;
#   (b) moving-fashion clips: single-frame average against TRN (4 directions), TRN against TRN + memory (40 classes).
# Usage: tools/classification_studies.sh [OUT]   (default runs/classification-studies; finished runs are reused)
# Needs Fashion-MNIST in /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist).
set -eu
OUT=${1:-runs/classification-studies}
XBM=${XBM:-"dotnet run --project src/Xbm.Cli -c Release --"}
mkdir -p "$OUT"
[ -d "$OUT/moving-fashion" ] || $XBM datasets make moving-fashion --out "$OUT/moving-fashion"
[ -d "$OUT/moving-fashion-items" ] || $XBM datasets make moving-fashion --item-classes --train-per-class 50 --test-per-class 25 --out "$OUT/moving-fashion-items"

$XBM study arms --config configs/classification/base.yaml --seeds 3 --splits test --out "$OUT/fashion_mnist_classification" \
  --arm "cross-entropy" \
  --arm "cross-entropy + memory: memory.kind=fifo; memory.size=4096; memory.start_iteration=200; memory.weight=0.003"

$XBM study arms --config configs/clips/average.yaml --set data.root="$OUT/moving-fashion" --seeds 3 --splits test \
  --out "$OUT/moving_fashion_direction" \
  --arm "single-frame average" \
  --arm "TRN: model.temporal=relation; model.frame_dimension=64; model.relation_dimension=64; model.bottleneck=64; model.subsample=3"

$XBM study arms --config configs/clips/trn_items.yaml --set data.root="$OUT/moving-fashion-items" --seeds 3 --splits test \
  --out "$OUT/moving_fashion_items" \
  --arm "TRN" \
  --arm "TRN + memory: memory.kind=fifo; memory.size=2000; memory.start_iteration=50; memory.weight=0.005"
