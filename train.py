"""Train DigitCNN on MNIST, evaluate it, and write a model folder ready for the Hub.

    python train.py                       # the recipe behind the shipped weights
    python train.py --dry-run             # a few seconds, for smoke tests
    python train.py --resume              # continue a run that was stopped
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from cnn import CONFIGS, DigitCNN
from cnn.checkpoint import atomic_write, atomic_write_text, load_training_state, save_training_state
from cnn.data import Augmentation, augment, batches, default_data_dir, load_mnist, normalize_batch_layout
from cnn.hub import (
    CONFUSION_NAME,
    METRICS_NAME,
    ModelLoadError,
    PushError,
    check_push_access,
    push_folder,
    save_pretrained,
    write_model_card,
)
from cnn.metrics import predict, render_confusion_matrix, summarize

CHECKPOINT_NAME = "checkpoint.safetensors"


@dataclass
class TrainConfig:
    arch: str = "default"  # a named DigitCNN configuration from cnn.CONFIGS
    epochs: int = 20  # test accuracy plateaus from about epoch 12; the rest is the LR anneal
    batch_size: int = 128  # large enough to keep both CPU cores busy, small enough for many steps
    lr: float = 3e-3  # peak of the one-cycle schedule; Adam tolerates it thanks to BatchNorm
    schedule: str = "onecycle"  # warm-up then cosine anneal; "constant" is the original recipe's fixed LR
    weight_decay: float = 0.05  # AdamW's decoupled decay; 1e-4 let the late epochs overfit (99.53%)
    label_smoothing: float = 0.0  # softened targets curb over-confident memorisation late in training
    ema_decay: float = 0.999  # the evaluated and saved weights are an EMA: steadier than the last step
    augment: bool = True  # without it the model has never seen thick pens or tilted digits
    bf16: bool = True  # bfloat16 autocast for training: 1.5-1.9x faster on AVX-512 CPUs, same accuracy
    seed: int = 0  # same seed, same machine, same result
    device: str = "auto"  # auto picks cuda when there is one
    threads: int = 0  # CPU threads for torch; 0 keeps torch's default (all cores)
    data_dir: str = default_data_dir()  # MNIST root; downloaded there when missing
    out: str = "runs/latest"  # where the model folder and checkpoint go
    subset: int = 0  # use only the first N training and test images (0: all); for smoke tests
    dry_run: bool = False  # 512 images, 1 epoch: checks the whole pipeline in seconds
    resume: bool = False  # continue from out/checkpoint.safetensors
    push_to_hub: str = ""  # Hub repo id (user/name) to publish to; checked before training starts
    private: bool = False  # create the Hub repo as private
    revision: str = ""  # branch to push to (created if missing); empty: main
    push_only: str = ""  # publish this already trained folder instead of training


HELP = {
    "arch": f"named model configuration, one of {sorted(CONFIGS)}",
    "epochs": "passes over the 60,000 training images",
    "batch_size": "images per optimisation step",
    "lr": "learning rate (AdamW): the peak of the one-cycle schedule, or the constant one",
    "schedule": "onecycle or constant",
    "weight_decay": "AdamW weight decay",
    "label_smoothing": "cross-entropy label smoothing (0: none)",
    "ema_decay": "decay of the exponential moving average of the weights that gets evaluated and saved (0: none)",
    "bf16": "train under bfloat16 autocast (evaluation stays float32); --no-bf16 for float32",
    "augment": "random rotation, scale, shear, shift, elastic warp and pen width (--no-augment to disable)",
    "seed": "random seed for initialisation, shuffling, augmentation and dropout",
    "device": "auto, cpu or cuda",
    "threads": "torch CPU threads (0: torch's default)",
    "data_dir": "MNIST root (holds MNIST/raw); defaults to $MNIST_ROOT or ../shared/data",
    "out": "output folder: model.safetensors, config.json, metrics.json, README.md, confusion matrix",
    "subset": "train and test on the first N images only (0: all 60,000 / 10,000)",
    "dry_run": "tiny run (--subset 512, 1 epoch unless --epochs is given) to smoke-test everything in seconds",
    "resume": "continue the run in --out from its last finished epoch",
    "push_to_hub": "publish the result to this Hub repo (USER/REPO) in one commit; token from HF_TOKEN or `hf auth login`",
    "private": "create the Hub repo as private",
    "revision": "Hub branch to push to (created when missing)",
    "push_only": "publish this trained output folder (with --push-to-hub) without training",
}


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for field in fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.type == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default, help=HELP[field.name])
        else:
            kind = {"int": int, "float": float, "str": str}[field.type]
            parser.add_argument(flag, type=kind, default=field.default, help=f"{HELP[field.name]} (default: %(default)s)")
    cfg = TrainConfig(**vars(parser.parse_args(argv)))
    if cfg.arch not in CONFIGS:
        parser.error(f"--arch must be one of {sorted(CONFIGS)}")
    if cfg.schedule not in ("onecycle", "constant"):
        parser.error("--schedule must be onecycle or constant")
    if cfg.dry_run:
        cfg.subset = cfg.subset or 512
        if "--epochs" not in (argv if argv is not None else sys.argv[1:]):
            cfg.epochs = 1
    if (cfg.private or cfg.revision or cfg.push_only) and not cfg.push_to_hub:
        parser.error("--private, --revision and --push-only go with --push-to-hub USER/REPO")
    return cfg


def publish(folder: Path, cfg: TrainConfig) -> None:
    commit = push_folder(folder, cfg.push_to_hub, revision=cfg.revision or None)
    print(f"pushed to {cfg.push_to_hub}: {commit.commit_url}")
    print(f"commit {commit.oid}  (load it with cnn.load_model({cfg.push_to_hub!r}, revision={commit.oid[:12]!r}))")


def run_settings(cfg: TrainConfig) -> dict:
    """The settings that shape the trained weights (a resumed run must match them)."""
    ignored = ("resume", "push_to_hub", "private", "revision", "push_only")
    return {k: v for k, v in asdict(cfg).items() if k not in ignored}


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is available")
    return torch.device(name)


def train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    labels: torch.Tensor,
    bf16: bool,
    label_smoothing: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimisation step on a batch; returns the loss and the logits."""
    with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = model(normalize_batch_layout(images))
        loss = F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss, logits


def ema_with_warmup(decay: float):
    """EMA whose decay ramps up from 0.1, so early epochs are not dominated by the random init."""

    def average(averaged: torch.Tensor, current: torch.Tensor, num_averaged: torch.Tensor) -> torch.Tensor:
        beta = min(decay, (1 + float(num_averaged)) / (10 + float(num_averaged)))
        return averaged * beta + current * (1 - beta)

    return average


def main(cfg: TrainConfig) -> dict | None:
    out = Path(cfg.out)
    if cfg.push_to_hub:  # fail now, not after 15 minutes of training
        try:
            user = check_push_access(cfg.push_to_hub, private=cfg.private, revision=cfg.revision or None)
        except PushError as err:
            raise SystemExit(f"error: {err}") from None
        print(f"Hub: {user} can push to {cfg.push_to_hub}{'@' + cfg.revision if cfg.revision else ''}")
    if cfg.push_only:
        try:
            publish(Path(cfg.push_only), cfg)
        except (PushError, ModelLoadError) as err:
            raise SystemExit(f"error: {err}") from None
        return None

    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    torch.use_deterministic_algorithms(device.type == "cpu")
    generator = torch.Generator(device=device).manual_seed(cfg.seed)

    train_x, train_y = load_mnist(cfg.data_dir, train=True)
    test_x, test_y = load_mnist(cfg.data_dir, train=False)
    if cfg.subset:
        train_x, train_y, test_x, test_y = (t[: cfg.subset] for t in (train_x, train_y, test_x, test_y))
    train_x, train_y = train_x.to(device), train_y.to(device)
    test_x = normalize_batch_layout(test_x.to(device))

    model = DigitCNN(**CONFIGS[cfg.arch]).to(device).to(memory_format=torch.channels_last)
    ema = AveragedModel(model, avg_fn=ema_with_warmup(cfg.ema_decay), use_buffers=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(train_x) // cfg.batch_size)
    if cfg.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    else:
        scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    aug = Augmentation()

    start_epoch, history, elapsed = 0, [], 0.0
    if cfg.resume:
        checkpoint = out / CHECKPOINT_NAME
        if not checkpoint.is_file():
            raise SystemExit(f"--resume: no checkpoint at {checkpoint}")
        info = load_training_state(
            checkpoint, model=model, ema=ema, optimizer=optimizer, scheduler=scheduler, generator=generator
        )
        if info["config"] != run_settings(cfg):
            raise SystemExit(f"--resume: {checkpoint} was made with other settings: {info['config']}")
        start_epoch, history, elapsed = info["epoch"], info["history"], info["elapsed_s"]
        print(f"resuming after epoch {start_epoch} ({elapsed:.0f} s so far)")

    print(f"training {cfg.arch} {CONFIGS[cfg.arch]} on {device}, {len(train_x)} images, {cfg.epochs} epochs")
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        started = time.perf_counter()
        seen = correct = 0
        loss_sum = torch.zeros((), device=device)
        bar = tqdm(batches(len(train_x), cfg.batch_size, generator), desc=f"epoch {epoch + 1}/{cfg.epochs}", leave=False, disable=None)
        for index in bar:
            images, labels = train_x[index], train_y[index]
            if cfg.augment:
                images = augment(images, aug, generator)
            loss, logits = train_step(model, optimizer, images, labels, cfg.bf16, cfg.label_smoothing)
            scheduler.step()
            ema.update_parameters(model)
            loss_sum += loss.detach() * len(index)
            correct += int((logits.argmax(1) == labels).sum())
            seen += len(index)
        test_acc = (predict(ema.module, test_x).cpu() == test_y).double().mean().item()
        seconds = time.perf_counter() - started
        elapsed += seconds
        history.append(
            dict(epoch=epoch + 1, loss=loss_sum.item() / seen, train_acc=correct / seen, test_acc=test_acc, seconds=seconds)
        )
        print(
            f"epoch {epoch + 1:2d}/{cfg.epochs}  loss {loss_sum.item() / seen:.4f}  train acc {correct / seen:.4f}  "
            f"test acc {test_acc:.4f}  {seconds:.1f} s",
            flush=True,
        )
        info = dict(epoch=epoch + 1, history=history, elapsed_s=elapsed, config=run_settings(cfg))
        save_training_state(
            out / CHECKPOINT_NAME, model=model, ema=ema, optimizer=optimizer, scheduler=scheduler, generator=generator, info=info
        )

    final = ema.module.cpu().to(memory_format=torch.contiguous_format).eval()
    metrics = summarize(test_y, predict(final, test_x.cpu()))
    metrics.update(
        train_seconds=round(elapsed, 1),
        epochs=cfg.epochs,
        history=history,
        train_config={k: v for k, v in run_settings(cfg).items() if k not in ("out", "data_dir")},
        model_config=dict(final._hub_mixin_config),
        torch_version=torch.__version__,
    )
    save_pretrained(final, out)
    atomic_write_text(out / METRICS_NAME, json.dumps(metrics, indent=2) + "\n")
    title = f"MNIST test accuracy {metrics['test_accuracy']:.2%}"
    atomic_write(out / CONFUSION_NAME, lambda tmp: render_confusion_matrix(metrics["confusion_matrix"], tmp, title))
    write_model_card(out, metrics, repo_id=cfg.push_to_hub or None)

    print(f"\ntest accuracy {metrics['test_accuracy']:.4%} ({metrics['test_errors']} errors of {metrics['test_samples']})")
    print("per class:", "  ".join(f"{c}: {acc:.4f}" for c, acc in metrics["per_class_accuracy"].items()))
    print("confusion matrix (rows: true, columns: predicted):")
    for digit, row in enumerate(metrics["confusion_matrix"]):
        print(f"  {digit}: " + " ".join(f"{n:4d}" for n in row))
    print(f"wrote {out}/: model.safetensors config.json {METRICS_NAME} README.md {CONFUSION_NAME}")
    if cfg.push_to_hub:
        try:
            publish(out, cfg)
        except PushError as err:
            raise SystemExit(f"error: {err} (the trained model is in {out}; retry with --push-only {out})") from None
    return metrics


if __name__ == "__main__":
    main(parse_args())
