#!/usr/bin/python3
"""Per-layer forward and backward times of the demo model (issue 18), written from docs/design.md.

The small CNN of xbm_reference.py (width 16, channels-last, training mode) on a batch of 16 Fashion-MNIST-sized
inputs, one layer at a time: each layer's forward pass alone, and forward plus backward with a fixed upstream
gradient (backward = the difference of the bests; the input's gradient too, except for the images, as in training),
best of --rounds rounds of --repetitions calls after a warm-up; then the whole
model (backbone, global average pooling, linear head, L2 normalisation) the same way. Prints one JSON line.
Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import json
import os
import sys
import time

ARGS = argparse.ArgumentParser()
ARGS.add_argument("--threads", type=int, default=1)
ARGS.add_argument("--rounds", type=int, default=3)
ARGS.add_argument("--repetitions", type=int, default=1000)
ARGS = ARGS.parse_args(sys.argv[1:])
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.argv = sys.argv[:1]  # xbm_reference parses the command line when it is imported
from xbm_reference import SmallCnn  # noqa: E402


def layers():
    """(name, module, input shape) for every layer of the backbone, in order."""
    result = []

    def block(name, cin, cout, size):
        result.append((f"conv{name}", nn.Conv2d(cin, cout, 3, padding=1, bias=False), (16, cin, size, size)))
        result.append((f"bn{name}", nn.BatchNorm2d(cout), (16, cout, size, size)))
        result.append((f"relu{name}", nn.ReLU(), (16, cout, size, size)))

    block(1, 1, 16, 28)
    block(2, 16, 16, 28)
    result.append(("pool1", nn.MaxPool2d(2), (16, 16, 28, 28)))
    block(3, 16, 32, 14)
    block(4, 32, 32, 14)
    result.append(("pool2", nn.MaxPool2d(2), (16, 32, 14, 14)))
    block(5, 32, 64, 7)
    result.append(("model", SmallCnn(), (16, 1, 28, 28)))
    return result


def timed(module, shape, repetitions, input_gradient):
    module = module.to(memory_format=torch.channels_last).train()
    x = torch.randn(*shape).to(memory_format=torch.channels_last).requires_grad_(input_gradient)
    gradient = torch.randn_like(module(x))
    for _ in range(50):
        module(x).backward(gradient)
    start = time.perf_counter()
    for _ in range(repetitions):
        module(x)
    forward = (time.perf_counter() - start) / repetitions
    start = time.perf_counter()
    for _ in range(repetitions):
        module(x).backward(gradient)
    both = (time.perf_counter() - start) / repetitions
    return forward * 1e6, both * 1e6


def main():
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(0)
    best = {}
    for _ in range(ARGS.rounds):
        for name, module, shape in layers():
            # Training needs no gradient for the images: none for the first convolution's input and the model's.
            forward, both = timed(module, shape, ARGS.repetitions, name not in ("conv1", "model"))
            previous = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(previous[0], forward), min(previous[1], both))
    print(json.dumps({"torch": torch.__version__, "threads": ARGS.threads,
                      "layers": [{"name": n, "forward_us": f, "backward_us": b - f} for n, (f, b) in best.items()]}))


if __name__ == "__main__":
    main()
