"""Model speed on this machine: training throughput, single-image latency, batched throughput.

    python benchmarks/bench_model.py             # prints Markdown tables
    python benchmarks/bench_model.py --steps 50  # quicker, noisier

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import cnn  # noqa: E402
from cnn.augment import Augmentation, augment  # noqa: E402
from cnn.data import default_data_dir, load_mnist  # noqa: E402
from cnn.model import CONFIGS, DigitCNN  # noqa: E402
from cnn.redraw import random_stroke, redraw  # noqa: E402
from cnn.serve import Recognizer  # noqa: E402
from train import train_step  # noqa: E402
from bench_small_digits import drawing  # noqa: E402
from strokes import DIGIT_STROKES  # noqa: E402


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads"


def ms(samples: list[float], q: float) -> str:
    return f"{np.percentile(samples, q) * 1000:.2f}"


def timed(function, items) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append(time.perf_counter() - started)
    return times


def train_rate(arch: str, images, labels, steps: int, batch: int, augmented: bool, channels_last: bool, bf16: bool) -> float:
    """Training images per second over `steps` steps, after 3 warm-up steps."""
    torch.manual_seed(0)
    model = DigitCNN(**CONFIGS[arch])
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    generator = torch.Generator().manual_seed(0)
    started = 0.0
    for step in range(steps + 3):
        if step == 3:
            started = time.perf_counter()
        index = torch.randint(0, len(images), (batch,), generator=generator)
        x = augment(images[index], labels[index], Augmentation(), generator) if augmented else images[index]
        if not channels_last:
            x = x.contiguous()
        train_step(model, optimizer, x, labels[index], bf16)
    return steps * batch / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=150, help="training steps timed per configuration")
    parser.add_argument("--images", type=int, default=1000, help="canvases timed for single-image latency")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    train_x, train_y = load_mnist(default_data_dir(), train=True)
    test_x, _ = load_mnist(default_data_dir(), train=False)

    print("\n## Training throughput\n")
    print("| recipe | images/s | s per epoch (60,000 images) |")
    print("|---|---|---|")
    rows = [
        ("original: original arch, batch 64, no augmentation, float32", "original", 64, False, False, False),
        ("original arch, batch 128, augmentation, channels_last, bf16", "original", 128, True, True, True),
        ("shipped: default arch, batch 128, augmentation, channels_last, bf16", "default", 128, True, True, True),
        ("default arch as above but float32, contiguous (what bf16 + channels_last save)", "default", 128, True, False, False),
    ]
    for label, arch, batch, augmented, channels_last, bf16 in rows:
        rate = train_rate(arch, train_x, train_y, args.steps, batch, augmented, channels_last, bf16)
        print(f"| {label} | {rate:,.0f} | {60000 / rate:.1f} |", flush=True)

    rng = np.random.default_rng(0)
    sample = rng.choice(len(test_x), size=args.images, replace=False)
    canvases = [redraw(test_x[i, 0].numpy(), random_stroke(rng)) for i in sample]
    # What the page sends: its ten digits drawn with its brush, 60-280 px tall (a thin pen on a
    # large digit is widened before the 20 px reduction, which costs preprocessing time).
    page = [drawing(DIGIT_STROKES[d], height) for d in range(10) for height in (60, 120, 200, 280)]
    page = page * max(1, args.images // len(page))
    recognizer = Recognizer(cnn.load_model())  # as the app serves it (BatchNorm folded, channels_last)
    plain = cnn.load_model()  # baseline: default memory layout
    inputs = [torch.from_numpy(cnn.to_mnist(c))[None, None] for c in canvases]
    with torch.inference_mode():
        for canvas in canvases[:20]:
            recognizer.read([canvas])
            plain(inputs[0])
        rows = [
            ("to_mnist (400x400 canvas)", timed(cnn.to_mnist, canvases)),
            ("forward, default layout (baseline)", timed(plain, inputs)),
            ("forward, BatchNorm folded + channels_last (served)", timed(recognizer.model, inputs)),
            ("Recognizer.read: to_mnist + forward + top-3 (served)", timed(lambda c: recognizer.read([c]), canvases)),
            ("Recognizer.read, the page's own drawings (12 px brush, 60-280 px tall)", timed(lambda c: recognizer.read([c]), page)),
        ]
    print("\n## One image at a time\n")
    print("| step | p50 ms | p99 ms |")
    print("|---|---|---|")
    for label, times in rows:
        print(f"| {label} | {ms(times, 50)} | {ms(times, 99)} |")

    print("\n## Batched forward (MNIST test images)\n")
    print("| batch | as loaded, images/s | served (folded, channels_last), images/s |")
    print("|---|---|---|")
    with torch.inference_mode():
        for batch in (1, 16, 32, 64, 256):
            x = test_x[:batch]
            rates = []
            for model in (plain, recognizer.model):
                for _ in range(3):
                    model(x)
                repeats = max(5, 2000 // batch)
                started = time.perf_counter()
                for _ in range(repeats):
                    model(x)
                rates.append(repeats * batch / (time.perf_counter() - started))
            print(f"| {batch} | {rates[0]:,.0f} | {rates[1]:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
