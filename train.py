"""Train DigitCNN on MNIST, evaluate it, and write a model folder ready for the Hub.

    python train.py                       # the recipe behind the shipped weights
    python train.py --dry-run             # a few seconds, for smoke tests
    python train.py --resume              # continue a run that was stopped
    python train.py --corrections USER/DATASET   # also learn from visitors' corrections (README)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from huggingface_hub.errors import HfHubHTTPError
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from cnn import CONFIGS, DigitCNN
from cnn.augment import Augmentation, augment, distort, non_digits
from cnn.corrections import corrections_folder, load_corrections
from cnn.checkpoint import atomic_write, atomic_write_text, load_training_state, save_training_state
from cnn.data import VALIDATION_SIZE, batches, default_data_dir, load_mnist, to_channels_last, split_validation
from cnn.card import CONFUSION_NAME, METRICS_NAME, write_model_card
from cnn.model import ModelLoadError
from cnn.publish import PushError, check_push_access, push_folder
from cnn.metrics import calibrated_top1, expected_calibration_error, fit_temperature, logits_of, predict, render_confusion_matrix, summarize

CHECKPOINT_NAME = "checkpoint.safetensors"


def setting(default, help: str):
    """A TrainConfig field with its --help text: why it is set as it is, in one place."""
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    arch: str = setting("default", f"named DigitCNN configuration, one of {sorted(CONFIGS)}")
    epochs: int = setting(24, "passes over the training split; a 20-epoch run (before the styles were raised to 0.5) still gained on validation up to epoch 18")
    batch_size: int = setting(128, "digits per step: large enough to keep both CPU cores busy, small enough for many steps")
    lr: float = setting(3e-3, "peak of the one-cycle schedule (AdamW); BatchNorm lets Adam take it")
    schedule: str = setting("onecycle", "onecycle (warm-up, then cosine anneal) or constant (the original recipe's fixed LR)")
    weight_decay: float = setting(0.05, "AdamW's decoupled decay; 1e-4 let the late epochs overfit, and 0.1 read validation no better (three GPU seeds, BENCHMARKS.md)")
    label_smoothing: float = setting(0.0, "cross-entropy label smoothing (0: none); 0.1 read the validation digit sets a little better, within seed noise, but packs its calibrated answers between 0.99 and 0.999: the 'not sure' line would have to move to 0.995, where it is no surer than no smoothing is at 0.95 (BENCHMARKS.md)")
    ema_decay: float = setting(0.999, "the evaluated and saved weights are an EMA of the steps, steadier than the last step (0: none)")
    augment: bool = setting(True, "styles, uniform-pen retracing, rotation, scale, shear, shift, elastic warp and pen width (--no-augment: none)")
    # Help texts go through argparse's %-formatting: a literal percent sign is written %%.
    clean: float = setting(Augmentation.clean, "share of training digits left as MNIST drew them (styles still added); 0.25 with --retrace 0.55 read the validation digits better but European 1s far worse (60.5%% against 87.8%%, BENCHMARKS.md), so 0")
    retrace: float = setting(Augmentation.retrace, "share of training digits redrawn along their centre line with a uniform round pen, as a sketchpad draws")
    retrace_widest: float = setting(Augmentation.retrace_widest, "widest of those pens, px at 28x28 (MNIST's digits are 20 px tall); 6.5 (a third of the height, as a small digit drawn with the sketchpad's 20 px brush) read the smallest digits better but thick-pen validation digits only 0.23 points better and the validation 1 with a long flag 7.3 worse (three seeds each), so 4.5 (BENCHMARKS.md)")
    narrow_ones_sevens: bool = setting(Augmentation.narrow_ones_sevens, "1s and 7s keep pens of at most 4.5 px whatever --retrace-widest; with --retrace-widest 6.5, four GPU seeds read thick-pen validation digits 0.10 points better than twelve seeds of the defaults, less than a seed's spread, so off (BENCHMARKS.md)")
    flagged_ones: float = setting(Augmentation.flagged_ones, "share of training 1s given a long flag (European 1s); 7s and 0s get their crossbar and slash at 0.5; 0.75 (with --feet 0.33: twice the 1s with a flag alone) read the validation long-flag 1 no better (BENCHMARKS.md)")
    feet: float = setting(Augmentation.feet, "share of those flagged 1s also given a foot")
    hooked_ones: float = setting(Augmentation.hooked_ones, "share of the other training 1s given a short hook (0.1-0.3 of the height) at the top, as many hands draw a 1; 0.2 and 0.5 made hooked 1s sure but read the validation 1 with a long flag at 53.5-66.5%% (three seeds) and 41.5%% (one seed), against 72-75.5%% for three seeds without, so 0 (BENCHMARKS.md)")
    slanted_flags: bool = setting(Augmentation.slanted_flags, "a 1's added flag and foot turn with its stem's slant, as a slanted hand draws them; with --retrace 0.55 it read the validation styles better, but the MNIST test set (99.47%%) and the benchmark's European 1 worse, so off (BENCHMARKS.md)")
    outliers: int = setting(16, "synthetic non-digits (stroke soups) added to each batch, for outlier exposure")
    outlier_weight: float = setting(0.5, "weight of the outlier-exposure loss, which pushes non-digits towards a uniform answer (Hendrycks et al. 2019); 0.25 read validation better (99.52%% against 99.38%%) but refused a clear 9 in the tests and read hooked 1s less surely; 1.0 and 2.0 read every validation set worse and refused more (GPU seeds; BENCHMARKS.md)")
    validation: int = setting(VALIDATION_SIZE, "training digits held out (the last ones) for validation and calibration")
    bf16: bool = setting(True, "bfloat16 autocast for training, used only on a CPU with native bf16 or a GPU (native_bf16); --no-bf16: float32")
    seed: int = setting(0, "random seed for initialisation, shuffling, augmentation and dropout; same seed, same machine, same weights")
    device: str = setting("auto", "auto (cuda when there is one), cpu or cuda")
    threads: int = setting(0, "torch CPU threads (0: torch's default, all cores)")
    data_dir: str = setting("", "MNIST root, the folder holding MNIST/raw; downloaded there when missing (default: $MNIST_ROOT, else ../shared/data when it holds MNIST, else ./data)")
    out: str = setting("runs/latest", "output folder: model.safetensors, config.json, metrics.json, README.md, confusion matrix, checkpoint (a dry run: runs/dry-run)")
    corrections: str = setting("", "visitors' corrections to train on: a dataset repo (USER/NAME) or its local folder (cnn/corrections.py); a fixed fifth is held out and reported")
    corrections_revision: str = setting("", "pin the corrections dataset to this commit, branch or tag (default: main)")
    corrections_weight: int = setting(5, "times each correction is seen per epoch: a few hundred among 55,000 MNIST digits would barely count once")
    subset: int = setting(0, "use only the first N training and test digits (0: all); for smoke tests")
    dry_run: bool = setting(False, "tiny run (--subset 512, 1 epoch unless --epochs is given) to smoke-test everything in seconds")
    resume: bool = setting(False, "continue the run in --out from its last finished epoch")
    push_to_hub: str = setting("", "publish the result to this Hub repo (USER/REPO) in one commit; token from HF_TOKEN or `hf auth login`")
    private: bool = setting(False, "create the Hub repo as private")
    revision: str = setting("", "Hub branch to push to (created when missing); empty: main")
    push_only: str = setting("", "publish this already trained output folder (with --push-to-hub) without training")


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for option in fields(TrainConfig):
        flag = "--" + option.name.replace("_", "-")
        help = option.metadata["help"] + ("" if option.default in ("", False) or "(default:" in option.metadata["help"]
                                           else f" (default: {option.default})")
        # SUPPRESS: only the flags given on the command line appear, so defaults that depend on
        # other flags (--dry-run's single epoch) are resolved after parsing.
        if isinstance(option.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help)
        else:
            parser.add_argument(flag, type=type(option.default), default=argparse.SUPPRESS, help=help)
    given = vars(parser.parse_args(argv))
    cfg = TrainConfig(**given)
    if cfg.arch not in CONFIGS:
        parser.error(f"--arch must be one of {sorted(CONFIGS)}")
    if cfg.schedule not in ("onecycle", "constant"):
        parser.error("--schedule must be onecycle or constant")
    if cfg.validation < 1:
        parser.error("--validation must be at least 1: the temperature is fitted on those digits")
    cfg.data_dir = cfg.data_dir or default_data_dir()
    if cfg.dry_run:
        cfg.subset = cfg.subset or 512
        cfg.epochs = given.get("epochs", 1)
        cfg.out = given.get("out", "runs/dry-run")  # never over a real run and its checkpoint
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


def native_bf16(device: torch.device) -> bool:
    """Whether bfloat16 is fast here. Measured: 2.1x faster per epoch on an AMD EPYC with
    avx512_bf16, but 1.4x *slower* on an Intel Xeon without it, where torch emulates it."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    labels: torch.Tensor,
    bf16: bool,
    label_smoothing: float = 0.0,
    outliers: torch.Tensor | None = None,
    outlier_weight: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimisation step on a batch of digits (and non-digits); returns the loss and the digits' logits.

    Outlier exposure: the non-digits' loss is the cross-entropy to a uniform answer, so that
    a letter or a scribble gets low probabilities rather than a confident digit.
    """
    count = len(images)
    if outliers is not None and len(outliers):
        images = torch.cat([images, outliers])
    with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=bf16):
        all_logits = model(to_channels_last(images))
        logits = all_logits[:count]
        loss = F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
        if len(all_logits) > count:
            loss = loss - outlier_weight * all_logits[count:].float().log_softmax(1).mean()
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


def train_one_epoch(model, ema, optimizer, scheduler, data, cfg: TrainConfig, bf16: bool, generator, desc: str) -> dict:
    """One pass over the training split; returns its mean loss and training accuracy."""
    train_x, train_y = data
    aug = Augmentation(clean=cfg.clean, retrace=cfg.retrace, retrace_widest=cfg.retrace_widest, narrow_ones_sevens=cfg.narrow_ones_sevens, flagged_ones=cfg.flagged_ones, feet=cfg.feet, hooked_ones=cfg.hooked_ones,
                       slanted_flags=cfg.slanted_flags)
    model.train()
    seen = correct = 0
    loss_sum = torch.zeros((), device=train_x.device)
    for index in tqdm(batches(len(train_x), cfg.batch_size, generator), desc=desc, leave=False, disable=None):
        images, labels = train_x[index], train_y[index]
        outliers = None
        if cfg.augment:
            images = augment(images, labels, aug, generator)
        if cfg.outliers:
            outliers = non_digits(cfg.outliers, generator, train_x.device)
            outliers = distort(outliers, aug, generator).clamp_(0, 1) if cfg.augment else outliers
        loss, logits = train_step(model, optimizer, images, labels, bf16, cfg.label_smoothing, outliers, cfg.outlier_weight)
        scheduler.step()
        ema.update_parameters(model)
        loss_sum += loss.detach() * len(index)
        correct += int((logits.argmax(1) == labels).sum())
        seen += len(index)
    return dict(loss=loss_sum.item() / seen, train_acc=correct / seen)


def calibrate(model: DigitCNN, val_x: torch.Tensor, val_y: torch.Tensor, seed: int) -> tuple[float, torch.Tensor, torch.Tensor]:
    """Temperature fitted on the validation digits, as they are and once augmented (drawings
    vary more than MNIST does); returns it with the logits and labels it was fitted on."""
    generator = torch.Generator(device=val_x.device).manual_seed(seed + 1)
    drawn = augment(val_x, val_y, Augmentation(), generator)
    logits = logits_of(model, torch.cat([val_x, drawn])).cpu()
    labels = torch.cat([val_y, val_y]).cpu()
    return fit_temperature(logits, labels), logits, labels


def evaluate(model: DigitCNN, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Accuracy, per-class accuracy, confusion matrix and ECE of the calibrated probabilities."""
    logits = logits_of(model, images).cpu()
    confidence, predictions = calibrated_top1(logits, model.temperature)
    metrics = summarize(labels, predictions)
    metrics["test_ece"] = round(expected_calibration_error(confidence, predictions == labels), 5)
    return metrics


def write_model_folder(final: DigitCNN, metrics: dict, out: Path, repo_id: str | None) -> None:
    """The model folder: weights + config (with the temperature), metrics, confusion matrix, card."""
    atomic_write_text(out / METRICS_NAME, json.dumps(metrics, indent=2) + "\n")
    title = f"MNIST test accuracy {metrics['test_accuracy']:.2%}"
    atomic_write(out / CONFUSION_NAME, lambda tmp: render_confusion_matrix(metrics["confusion_matrix"], tmp, title))
    write_model_card(out, metrics, repo_id=repo_id)
    # Last: config.json (with the temperature) + model.safetensors. The mixin writes its generic
    # card only where there is none, so the card above is not generated twice.
    final.save_pretrained(out)


def read_corrections(cfg: TrainConfig) -> tuple[str | None, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Visitors' corrections as tensors prepared like the app's drawings: (the dataset commit, or None
    for a folder; train images, labels; held-out images, labels). A fixed fifth, by a hash of the
    file name, is held out."""
    try:
        folder, commit = corrections_folder(cfg.corrections, cfg.corrections_revision or None)
    except (HfHubHTTPError, OSError, ValueError) as err:
        raise SystemExit(f"error: --corrections {cfg.corrections}: {err}") from None
    found, skipped = load_corrections(folder)
    for reason in skipped[:10]:
        print(f"corrections: skipped {reason}")
    if not found:
        raise SystemExit(f"error: --corrections {cfg.corrections}: no corrections in {folder}")

    def tensors(items: list) -> tuple[torch.Tensor, torch.Tensor]:
        images = torch.from_numpy(np.stack([c.pixels for c in items])) if items else torch.zeros((0, 28, 28))
        return images.unsqueeze(1), torch.tensor([c.label for c in items], dtype=torch.long)

    train = [c for c in found if not c.held_out]
    held = [c for c in found if c.held_out]
    print(f"corrections: {len(found)} from {cfg.corrections}{f'@{commit[:12]}' if commit else ''} ({len(skipped)} skipped): "
          f"{len(train)} to train on (x{cfg.corrections_weight}), {len(held)} held out")
    return commit, *tensors(train), *tensors(held)


def check_hub(cfg: TrainConfig) -> None:
    """Fail now, not after 15 minutes of training, when the Hub repo cannot be written."""
    try:
        user = check_push_access(cfg.push_to_hub, private=cfg.private, revision=cfg.revision or None)
    except PushError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"Hub: {user} can push to {cfg.push_to_hub}{'@' + cfg.revision if cfg.revision else ''}")


def main(cfg: TrainConfig) -> dict | None:
    out = Path(cfg.out)
    if cfg.push_to_hub:
        check_hub(cfg)
    if cfg.push_only:
        try:
            publish(Path(cfg.push_only), cfg)
        except (PushError, ModelLoadError) as err:
            raise SystemExit(f"error: {err}") from None
        return None

    device = pick_device(cfg.device)
    bf16 = cfg.bf16 and native_bf16(device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    torch.use_deterministic_algorithms(device.type == "cpu")
    generator = torch.Generator(device=device).manual_seed(cfg.seed)

    try:
        train_x, train_y = load_mnist(cfg.data_dir, train=True)
        test_x, test_y = load_mnist(cfg.data_dir, train=False)
    except (OSError, RuntimeError) as err:  # torchvision: no files and no network, or a failed checksum
        raise SystemExit(
            f"error: MNIST is not in {Path(cfg.data_dir).resolve()}/MNIST/raw and could not be downloaded ({err}). "
            "Point --data-dir or $MNIST_ROOT at a folder holding MNIST/raw."
        ) from None
    if cfg.subset:
        train_x, train_y, test_x, test_y = (t[: cfg.subset] for t in (train_x, train_y, test_x, test_y))
    train_x, train_y, val_x, val_y = split_validation(train_x, train_y, cfg.validation)
    if cfg.corrections:
        corrections_commit, fix_x, fix_y, held_x, held_y = read_corrections(cfg)
        train_x = torch.cat([train_x, fix_x.repeat(cfg.corrections_weight, 1, 1, 1)])
        train_y = torch.cat([train_y, fix_y.repeat(cfg.corrections_weight)])
    train_x, train_y, val_x, val_y = (t.to(device) for t in (train_x, train_y, val_x, val_y))

    model = DigitCNN(**CONFIGS[cfg.arch]).to(device).to(memory_format=torch.channels_last)
    ema = AveragedModel(model, avg_fn=ema_with_warmup(cfg.ema_decay), use_buffers=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = -(-len(train_x) // cfg.batch_size)
    if cfg.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    else:
        scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)

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

    epochs = f"{cfg.epochs} epoch{'s' if cfg.epochs != 1 else ''}"
    print(
        f"training {cfg.arch} {CONFIGS[cfg.arch]} on {device} ({'bfloat16' if bf16 else 'float32'}), "
        f"{len(train_x)} digits (+{len(val_x)} for validation), {epochs}"
    )
    for epoch in range(start_epoch, cfg.epochs):
        started = time.perf_counter()
        row = train_one_epoch(
            model, ema, optimizer, scheduler, (train_x, train_y), cfg, bf16, generator, f"epoch {epoch + 1}/{cfg.epochs}"
        )
        row["val_acc"] = (predict(ema.module, to_channels_last(val_x)) == val_y).double().mean().item()
        row["seconds"] = time.perf_counter() - started
        elapsed += row["seconds"]
        history.append(dict(epoch=epoch + 1, **row))
        print(
            f"epoch {epoch + 1:2d}/{cfg.epochs}  loss {row['loss']:.4f}  train acc {row['train_acc']:.4f}  "
            f"validation acc {row['val_acc']:.4f}  {row['seconds']:.1f} s",
            flush=True,
        )
        info = dict(epoch=epoch + 1, history=history, elapsed_s=elapsed, config=run_settings(cfg))
        save_training_state(
            out / CHECKPOINT_NAME, model=model, ema=ema, optimizer=optimizer, scheduler=scheduler, generator=generator, info=info
        )

    # Calibrated and evaluated where it trained (a GPU reads 20,000 digits in a blink), saved from the CPU.
    trained = ema.module.to(memory_format=torch.contiguous_format).eval()
    temperature, val_logits, val_labels = calibrate(trained, val_x, val_y, cfg.seed)
    final = DigitCNN(**CONFIGS[cfg.arch], temperature=round(temperature, 4)).to(device)
    final.load_state_dict(trained.state_dict())
    final.eval()
    raw_confidence, raw_predictions = calibrated_top1(val_logits)
    val_confidence, val_predictions = calibrated_top1(val_logits, final.temperature)
    metrics = evaluate(final, test_x.to(device), test_y)  # the test set, read once
    final.cpu()
    metrics.update(
        validation_accuracy=history[-1]["val_acc"] if history else None,
        validation_ece=round(expected_calibration_error(val_confidence, val_predictions == val_labels), 5),
        validation_ece_uncalibrated=round(expected_calibration_error(raw_confidence, raw_predictions == val_labels), 5),
        temperature=final.temperature,
        train_seconds=round(elapsed, 1),
        epochs=cfg.epochs,
        history=history,
        train_config={k: v for k, v in run_settings(cfg).items() if k not in ("out", "data_dir")} | {"bf16": bf16},
        model_config=dict(final._hub_mixin_config),
        torch_version=torch.__version__,
    )
    if cfg.corrections:
        right = (predict(final, to_channels_last(held_x)) == held_y).double().mean().item() if len(held_y) else None
        metrics.update(corrections_accuracy=right, corrections_held_out=len(held_y), corrections_trained=len(fix_y),
                       corrections_revision=corrections_commit)
    write_model_folder(final, metrics, out, cfg.push_to_hub or None)

    print(f"\ntemperature {final.temperature:g} (validation ECE {metrics['validation_ece_uncalibrated']:.2%} -> {metrics['validation_ece']:.2%})")
    print(f"test accuracy {metrics['test_accuracy']:.4%} ({metrics['test_errors']} errors of {metrics['test_samples']}), ECE {metrics['test_ece']:.2%}")
    if cfg.corrections:
        right = metrics["corrections_accuracy"]
        print(f"accuracy on visitors' corrections: {'none held out' if right is None else f'{right:.2%}'} "
              f"({metrics['corrections_held_out']} held out)")
    print("per class:", "  ".join(f"{c}: {acc:.4f}" for c, acc in metrics["per_class_accuracy"].items()))
    print("confusion matrix (rows: true, columns: predicted):")
    for digit, row in enumerate(metrics["confusion_matrix"]):
        print(f"  {digit}: " + " ".join(f"{n:4d}" for n in row))
    print(f"wrote {out}/: model.safetensors config.json {METRICS_NAME} README.md {CONFUSION_NAME}")
    if cfg.dry_run:
        print(f"(dry run: {len(train_x)} training digits, {epochs}. "
              "These numbers only show that every step runs; they say nothing about the model.)")
    if cfg.push_to_hub:
        try:
            publish(out, cfg)
        except PushError as err:
            raise SystemExit(f"error: {err} (the trained model is in {out}; retry with --push-only {out})") from None
    return metrics


if __name__ == "__main__":
    main(parse_args())
