#!/usr/bin/python3
"""Reference training throughput of ResNet-18 and ResNet-50 at 224 x 224 (issue 18), written from docs/design.md.

The backbone as docs/design.md §5 describes it (torchvision's layout: a 7 x 7 stride-2 convolution, BatchNorm, ReLU,
3 x 3 stride-2 max pooling, four stages of basic blocks (ResNet-18) or bottlenecks (ResNet-50, stride on the 3 x 3
convolution), global average pooling), a linear head to d = 512 and L2 normalisation; the paper's contrastive loss
(margin 0.5, sum over pairs / B) on the batch; Adam 3e-4. The input is one fixed batch of random images (B x 3 x 224
x 224, standard normal; P x K = 8 x 2), so that only the training step is timed. Prints one JSON line with images/s
over the timed iterations (after warm-up). Run with /usr/bin/python3 (Debian's python3-torch) and libopenblas0-pthread
installed; --threads sets torch's intra-op threads and OpenBLAS's; --channels-last keeps the model and input in
channels-last layout.
"""
import argparse
import json
import os
import sys
import time


def parse_args(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, choices=[18, 50], default=18)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--channels-last", action="store_true")
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)  # before torch loads OpenBLAS
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def conv_bn(cin, cout, kernel, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout))


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        self.a = conv_bn(cin, width, 3, stride)
        self.b = conv_bn(width, width, 3)
        self.shortcut = conv_bn(cin, width, 1, stride) if stride != 1 or cin != width else nn.Identity()

    def forward(self, x):
        return F.relu(self.b(F.relu(self.a(x))) + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.a = conv_bn(cin, width, 1)
        self.b = conv_bn(width, width, 3, stride)
        self.c = conv_bn(width, cout, 1)
        self.shortcut = conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.c(F.relu(self.b(F.relu(self.a(x))))) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, depth, dimension=512):
        super().__init__()
        block, counts = (Basic, [2, 2, 2, 2]) if depth == 18 else (Bottleneck, [3, 4, 6, 3])
        layers = [conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for stage, (width, count) in enumerate(zip([64, 128, 256, 512], counts)):
            for i in range(count):
                layers.append(block(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width * block.expansion
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, dimension)

    def forward(self, x):
        return F.normalize(self.head(self.features(x).mean(dim=(2, 3))), p=2, dim=1)


def contrastive(queries, labels, margin=0.5):
    """docs/design.md §2 over the batch: (1/B) sum_i [ sum_{positives} (1 - S) + sum_{negatives with S > margin} S ]."""
    s = queries @ queries.t()
    same = labels[:, None] == labels[None, :]
    valid = ~torch.eye(len(labels), dtype=torch.bool)
    return (((1 - s) * (same & valid)).sum() + (s * (~same & valid & (s > margin))).sum()) / queries.shape[0]


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ResNet(args.depth)
    x = torch.randn(args.batch, 3, 224, 224)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    labels = torch.arange(args.batch) // 2
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    model.train()
    start = None
    for t in range(1, args.warmup + args.iterations + 1):
        if t == args.warmup + 1:
            start = time.perf_counter()
        loss = contrastive(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_second": args.iterations * args.batch / seconds, "depth": args.depth, "batch": args.batch,
                      "threads": args.threads, "channels_last": args.channels_last, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
