#!/usr/bin/python3
"""Reference training throughput for issue 7, written from docs/design.md (not from our C# code).

The demo configuration with XBM, in Debian's python3-torch: Fashion-MNIST zero-shot training split (classes 0-4
from both files, 35,000 images), random crop with 2-pixel zero padding, P x K = 2 x 8 batches, the small CNN
(width 16: conv-bn-relu x2, max-pool, x2, max-pool, conv-bn-relu, global average pooling, linear to d = 64,
L2 normalisation), the paper's contrastive loss (margin 0.5, sum over pairs / B) on the batch and on a FIFO memory
of the whole split (enqueue before the memory loss, own slot masked), Adam 3e-4, memory from iteration 1.
Prints one JSON line: images/s over the timed iterations (after warm-up), and the mean milliseconds per step of each
phase (data, forward, losses and memory, backward, optimizer; compare `xbm train --profile`). Run with /usr/bin/python3 and
libopenblas0-pthread installed; --threads sets torch's intra-op threads and OpenBLAS's threads (match the C# side);
--channels-last keeps the model in channels-last layout (as XBM.NET does by default on CPU).
"""
import argparse
import gzip
import json
import os
import sys
import time


def parse_args(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--channels-last", action="store_true",
                        help="keep the model's weights and activations in channels-last layout")
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# OpenBLAS (the BLAS of Debian's torch and numpy) keeps its own pool of one thread per core, which
# torch.set_num_threads does not reach; it reads this variable when it loads, so set it before the imports.
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_train(root):
    images, labels = [], []
    for prefix in ("train", "t10k"):
        x = read_idx(f"{root}/{prefix}-images-idx3-ubyte.gz")
        y = read_idx(f"{root}/{prefix}-labels-idx1-ubyte.gz")
        keep = y < 5
        images.append(x[keep])
        labels.append(y[keep].astype(np.int64))
    return np.concatenate(images), np.concatenate(labels)


class SmallCnn(nn.Module):
    def __init__(self, width=16, dimension=64):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        w1, w2, w3 = width, 2 * width, 4 * width
        self.features = nn.Sequential(*block(1, w1), *block(w1, w1), nn.MaxPool2d(2),
                                      *block(w1, w2), *block(w2, w2), nn.MaxPool2d(2), *block(w2, w3))
        self.head = nn.Linear(w3, dimension)

    def forward(self, x):
        return F.normalize(self.head(self.features(x).mean(dim=(2, 3))), p=2, dim=1)


def contrastive(queries, query_labels, keys, key_labels, ignore, margin=0.5):
    """docs/design.md §2: (1/B) sum_i [ sum_{positives} (1 - S) + sum_{negatives with S > margin} S ]."""
    s = queries @ keys.t()
    same = query_labels[:, None] == key_labels[None, :]
    valid = ~ignore
    positives = same & valid
    negatives = ~same & valid & (s > margin)
    return (((1 - s) * positives).sum() + (s * negatives).sum()) / queries.shape[0]


class Memory:
    """docs/design.md §1: a FIFO ring of embeddings and labels."""

    def __init__(self, capacity, dimension):
        self.keys = torch.zeros(capacity, dimension)
        self.labels = torch.zeros(capacity, dtype=torch.int64)
        self.capacity, self.count, self.pointer = capacity, 0, 0

    def enqueue(self, embeddings, labels):
        n = embeddings.shape[0]
        slots = (self.pointer + torch.arange(n)) % self.capacity
        self.keys[slots] = embeddings
        self.labels[slots] = labels
        self.pointer = (self.pointer + n) % self.capacity
        self.count = min(self.count + n, self.capacity)
        return slots


def main():
    args = ARGS

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    images, labels = load_train(args.root)
    by_class = [np.flatnonzero(labels == c) for c in range(5)]
    mean, std = images.mean() / 255.0, images.std() / 255.0
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))

    model = SmallCnn()
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    memory = Memory(len(labels), 64)
    p, k = 2, 8
    model.train()
    start = None
    phases = {"data": 0.0, "forward": 0.0, "losses and memory": 0.0, "backward": 0.0, "optimizer": 0.0}
    for t in range(1, args.warmup + args.iterations + 1):
        if t == args.warmup + 1:
            start = time.perf_counter()
        marks = [time.perf_counter()]
        classes = rng.choice(5, size=p, replace=False)
        positions = np.concatenate([rng.choice(by_class[c], size=k, replace=False) for c in classes])
        offsets = rng.integers(0, 5, size=(len(positions), 2))
        batch = np.stack([padded[i, y:y + 28, x:x + 28] for i, (y, x) in zip(positions, offsets)])
        x = (torch.from_numpy(batch).float().div_(255.0).sub_(mean).div_(std)).unsqueeze(1)
        y = torch.from_numpy(labels[positions])

        marks.append(time.perf_counter())
        queries = model(x)
        marks.append(time.perf_counter())
        batch_loss = contrastive(queries, y, queries, y, torch.eye(len(y), dtype=torch.bool))
        slots = memory.enqueue(queries.detach(), y)
        ignore = torch.zeros(len(y), memory.count, dtype=torch.bool)
        ignore[torch.arange(len(y)), slots] = True
        memory_loss = contrastive(queries, y, memory.keys[:memory.count], memory.labels[:memory.count], ignore)
        loss = batch_loss + memory_loss
        marks.append(time.perf_counter())
        optimizer.zero_grad()
        loss.backward()
        marks.append(time.perf_counter())
        optimizer.step()
        loss.item()
        marks.append(time.perf_counter())
        if start is not None:
            for phase, begin, end in zip(phases, marks, marks[1:]):
                phases[phase] += end - begin
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_second": args.iterations * p * k / seconds, "iterations": args.iterations,
                      "threads": args.threads, "channels_last": args.channels_last, "torch": torch.__version__, "final_loss": float(loss),
                      "ms_per_step": {phase: 1000 * value / args.iterations for phase, value in phases.items()}}))


if __name__ == "__main__":
    main()
