"""Model speed on this machine: training throughput, single-image latency, batched throughput.

    python benchmarks/bench_model.py            # prints a Markdown table
    python benchmarks/bench_model.py --steps 50 # quicker, noisier

Every figure sits beside a baseline measured in the same run. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cnn  # noqa: E402
from cnn.data import Augmentation, augment, default_data_dir, load_mnist, normalize_batch_layout  # noqa: E402
from cnn.model import CONFIGS, DigitCNN  # noqa: E402
from cnn.redraw import random_stroke, redraw  # noqa: E402


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000)


def train_throughput(arch: str, images: torch.Tensor, labels: torch.Tensor, steps: int, batch: int, augmented: bool, channels_last: bool) -> float:
    """Training images per second for `steps` steps (after 3 warm-up steps)."""
    torch.manual_seed(0)
    model = DigitCNN(**CONFIGS[arch])
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    aug = Augmentation()
    started = 0.0
    for step in range(steps + 3):
        if step == 3:
            started = time.perf_counter()
        index = torch.randint(0, len(images), (batch,), generator=generator)
        x = augment(images[index], aug, generator) if augmented else images[index]
        if channels_last:
            x = normalize_batch_layout(x)
        loss = F.cross_entropy(model(x), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps * batch / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=150, help="training steps timed per configuration")
    parser.add_argument("--images", type=int, default=1000, help="canvases timed for single-image latency")
    args = parser.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads")
    train_x, train_y = load_mnist(default_data_dir(), train=True)
    test_x, test_y = load_mnist(default_data_dir(), train=False)

    print("\n## Training throughput (batch 128)\n")
    print("| configuration | images/s | s per epoch (60,000 images) |")
    print("|---|---|---|")
    rows = [
        ("original recipe: original arch, no augmentation, contiguous layout", "original", False, False),
        ("original arch + augmentation + channels_last", "original", True, True),
    ]
    if CONFIGS["default"] != CONFIGS["original"]:
        rows.append(("default arch + augmentation + channels_last (shipped recipe)", "default", True, True))
    for label, arch, augmented, channels_last in rows:
        rate = train_throughput(arch, train_x, train_y, args.steps, 128, augmented, channels_last)
        print(f"| {label} | {rate:,.0f} | {60000 / rate:.1f} |", flush=True)

    model = cnn.load_model()
    rng = np.random.default_rng(0)
    sample = rng.choice(len(test_x), size=args.images, replace=False)
    canvases = [redraw(test_x[i, 0].numpy(), random_stroke(rng)) for i in sample]

    def timed(function, items) -> list[float]:
        times = []
        for item in items:
            started = time.perf_counter()
            function(item)
            times.append(time.perf_counter() - started)
        return times

    with torch.inference_mode():
        for canvas in canvases[:20]:  # warm-up
            model(torch.from_numpy(cnn.to_mnist(canvas))[None, None])
        pre = timed(cnn.to_mnist, canvases)
        inputs = [torch.from_numpy(cnn.to_mnist(c))[None, None] for c in canvases]
        forward = timed(model, inputs)
        both = timed(lambda c: model(torch.from_numpy(cnn.to_mnist(c))[None, None]).softmax(1), canvases)

    print("\n## Single image, 400x400 canvases (one thread of work, torch threads as above)\n")
    print("| step | p50 ms | p99 ms |")
    print("|---|---|---|")
    for label, times in (("to_mnist", pre), ("forward", forward), ("to_mnist + forward + softmax", both)):
        print(f"| {label} | {percentile_ms(times, 50):.3f} | {percentile_ms(times, 99):.3f} |")

    print("\n## Batched forward on MNIST test images\n")
    print("| batch | images/s |")
    print("|---|---|")
    with torch.inference_mode():
        for batch in (1, 16, 64, 256):
            x = test_x[:batch]
            for _ in range(3):
                model(x)
            repeats = max(3, 2000 // batch)
            started = time.perf_counter()
            for _ in range(repeats):
                model(x)
            print(f"| {batch} | {repeats * batch / (time.perf_counter() - started):,.0f} |", flush=True)


if __name__ == "__main__":
    main()
