#!/bin/sh
# The studies of docs/classification.md (issue 15), 3 seeds each, one thread per run. Every arm is evaluated on the
# validation split (held out of the training data: data.validation_fraction) and on the test split; the classifier
# and the memory weight are chosen on validation only, and the test figures of the chosen arms are the result.
#   (a) Fashion-MNIST classification on 50 % of the training file (10 % more held out for validation):
#       cross-entropy with a linear and a cosine classifier, and the cosine one + memory at two weights;
#   (b) moving-fashion clips: single-frame average against TRN (4 directions);
#   (c) the 40-class moving-fashion clips (20 % of the training clips held out for validation): TRN against
#       TRN + memory at two weights.
# Usage: tools/classification_studies.sh [OUT]   (default runs/classification-studies; finished runs are reused)
# Needs Fashion-MNIST in /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist).
set -eu
OUT=${1:-runs/classification-studies}
XBM=${XBM:-"dotnet run --project src/Xbm.Cli -c Release --"}
mkdir -p "$OUT"
[ -d "$OUT/moving-fashion" ] || $XBM datasets make moving-fashion --out "$OUT/moving-fashion"
[ -d "$OUT/moving-fashion-items" ] || $XBM datasets make moving-fashion --item-classes --train-per-class 50 --test-per-class 25 --out "$OUT/moving-fashion-items"

FMNIST_MEMORY="memory.kind=fifo; memory.size=4096; memory.start_iteration=200"
$XBM study arms --config configs/classification/base.yaml --set iterations=4000 --set checkpoint.every=4000 \
  --seeds 3 --splits validation,test --out "$OUT/fashion_mnist_classification" \
  --arm "cross-entropy (linear)" \
  --arm "cross-entropy (cosine): classification.classifier=cosine" \
  --arm "cosine + memory 0.003: classification.classifier=cosine; $FMNIST_MEMORY; memory.weight=0.003" \
  --arm "cosine + memory 0.01: classification.classifier=cosine; $FMNIST_MEMORY; memory.weight=0.01"

$XBM study arms --config configs/clips/average.yaml --set data.root="$OUT/moving-fashion" --seeds 3 --splits test \
  --out "$OUT/moving_fashion_direction" \
  --arm "single-frame average" \
  --arm "TRN: model.temporal=relation; model.frame_dimension=64; model.relation_dimension=64; model.bottleneck=64; model.subsample=3"

ITEMS_MEMORY="memory.kind=fifo; memory.size=1600; memory.start_iteration=100"
$XBM study arms --config configs/clips/trn_items.yaml --set data.root="$OUT/moving-fashion-items" \
  --seeds 3 --splits validation,test --out "$OUT/moving_fashion_items" \
  --arm "TRN (linear)" \
  --arm "TRN + memory 0.001: $ITEMS_MEMORY; memory.weight=0.001" \
  --arm "TRN + memory 0.003: $ITEMS_MEMORY; memory.weight=0.003"
