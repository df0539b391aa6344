"""The model card (README.md of a model folder), written from the metrics train.py recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from .checkpoint import atomic_write_text
from .model import MNIST_MEAN, MNIST_STD, DigitCNN

METRICS_NAME = "metrics.json"
CARD_NAME = "README.md"
CONFUSION_NAME = "confusion_matrix.png"


def write_model_card(out_dir: str | os.PathLike, metrics: dict[str, Any], repo_id: str | None = None) -> ModelCard:
    """README.md with Hub metadata (incl. a model-index with the measured accuracy) and usage."""
    card = build_model_card(metrics, repo_id)
    atomic_write_text(Path(out_dir) / CARD_NAME, str(card))
    return card


def build_model_card(metrics: dict[str, Any], repo_id: str | None = None) -> ModelCard:
    accuracy = metrics["test_accuracy"]
    data = ModelCardData(
        **DigitCNN._hub_mixin_info.model_card_data.to_dict(),  # library, license, pipeline, tags: set on the class
        datasets=["mnist"],
        metrics=["accuracy"],
        model_name="DigitCNN",
        eval_results=[
            EvalResult(
                task_type="image-classification",
                task_name="Image Classification",
                dataset_type="mnist",
                dataset_name="MNIST",
                dataset_split="test",
                metric_type="accuracy",
                metric_name="Test accuracy",
                metric_value=round(accuracy, 6),
            )
        ],
    )
    body = _card_body(metrics, repo_id or "your-name/digit-cnn")
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def _percent(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2%}"


def _training_paragraph(metrics: dict[str, Any]) -> str:
    """What train.py did, from the settings it recorded (train_config), nothing assumed."""
    train = metrics.get("train_config", {})
    history = metrics.get("history", [])
    schedule = "a one-cycle schedule" if train.get("schedule") == "onecycle" else "a constant learning rate"
    parts = [
        f"Trained by the project's `train.py` on the MNIST training images less the last "
        f"{train.get('validation', 0):,}, held out for validation: AdamW (peak learning rate {train.get('lr')}, "
        f"weight decay {train.get('weight_decay')}) with {schedule}, batch {train.get('batch_size')}, "
        f"{train.get('epochs')} epochs, {'bfloat16 autocast' if train.get('bf16') else 'float32'}, seed {train.get('seed')}."
    ]
    if train.get("ema_decay"):
        parts.append(f"The saved weights are an exponential moving average of the steps (decay {train.get('ema_decay')}).")
    if train.get("augment"):
        clean = train.get("clean") or 0  # runs recorded before --clean and --retrace existed: 0 and 0.4
        parts.append(
            "Augmentation, per image on whole batches: flags and feet on some 1s, "
            + (f"a short hook on {train['hooked_ones']:.0%} of the other 1s, " if train.get("hooked_ones") else "")
            + "crossbars on 7s, slashes through 0s. " + (f"Then {clean:.0%} of the digits stay as they are; of the others, " if clean else "Then, of the digits, ")
            + f"{train.get('retrace', 0.4):.0%} are redrawn along their centre line with a uniform round pen, and all get "
            "a random rotation, scale, aspect, shear, shift, a smooth elastic warp and a thicker or thinner pen."
        )
    if train.get("outliers"):
        parts.append(
            f"Outlier exposure: {train.get('outliers')} synthetic non-digits per batch (random strokes) trained towards a uniform answer (weight {train.get('outlier_weight')})."
        )
    if metrics.get("temperature"):
        parts.append(
            f"Probabilities are calibrated by temperature scaling fitted on the validation digits: "
            f"`temperature` = {metrics['temperature']:g} in `config.json`, applied by `predict_proba` "
            f"(validation ECE {_percent(metrics.get('validation_ece_uncalibrated'))} before, "
            f"{_percent(metrics.get('validation_ece'))} after)."
        )
    if train.get("corrections"):
        revision = metrics.get("corrections_revision")
        parts.append(
            f"Visitors' corrections from `{train['corrections']}`{f' at `{revision}`' if revision else ''} were added to the "
            f"training digits: {metrics.get('corrections_trained', 0)} of them, each seen {train.get('corrections_weight')} "
            f"times per epoch; {metrics.get('corrections_held_out', 0)} more were held out (a fixed fifth, by file name)."
        )
    parts.append(f"Training took {metrics.get('train_seconds', 0):.0f} s ({len(history)} epochs) with torch {metrics.get('torch_version')}.")
    return "\n".join(parts)


def _corrections_row(metrics: dict[str, Any]) -> str:
    """The results row for visitors' corrections, when training used them."""
    if "corrections_held_out" not in metrics:
        return ""
    return (f"| accuracy on visitors' corrections ({metrics['corrections_held_out']} held out, never trained on) | "
            f"{_percent(metrics.get('corrections_accuracy'))} |\n")


def _card_body(metrics: dict[str, Any], repo_id: str) -> str:
    config = metrics.get("model_config", {})
    per_class = " | ".join(f"{acc:.2%}" for acc in metrics["per_class_accuracy"].values())
    return f"""
# DigitCNN: handwritten digit recognizer (MNIST)

A small convolutional network that reads one handwritten digit. **MNIST test accuracy:
{metrics['test_accuracy']:.2%}** ({metrics['test_errors']} errors of {metrics['test_samples']:,} test images).
It powers a Gradio Space where you draw a digit and see the top-3 probabilities.

## Model

`DigitCNN` with `{json.dumps(config)}`: conv blocks (3x3 conv, BatchNorm, ReLU; then 2x2
max-pool) with {config.get('channels')} channels, then a {config.get('hidden')} MLP head with dropout
{config.get('dropout')}. `config.json` holds these settings; they describe the architecture fully.

## Input

A batch `(N, 1, 28, 28)` of float pixels in `[0, 1]`, **ink = 1, paper = 0**, laid out like MNIST:
the digit scaled to fit a 20x20 box (aspect ratio kept) and centred by its centre of mass in the
28x28 field. The model normalises with MNIST's mean and std itself: do not normalise again.
Output: `(N, 10)` logits. For probabilities apply `softmax(logits / temperature)`, with the
calibrated `temperature` from `config.json` (`predict_proba` does it).

For a drawing or a photo, apply the same steps MNIST was made with. The project's
`cnn.to_mnist(image)` does it for any PIL image or array: it finds the ink (dark on light,
light on dark, or a transparent background; on a photo of a page, against the paper's uneven
light, leaving out the desk around the page, what the page's edge leaves near the photo's
border, and the page's own lines, such as a notebook's margin line; on any paper, a printed box
around the writing, and the lines and rings people draw under and around it), crops, scales,
centres, and returns `None` for a blank image.

## Use

With the project's code (`pip install -r requirements.txt` in the project):

```python
import torch
from PIL import Image
from cnn import DigitCNN, to_mnist

model = DigitCNN.from_pretrained("{repo_id}")  # safetensors only, checked against config.json
pixels = torch.from_numpy(to_mnist(Image.open("digit.png")))  # None if the image is blank
print(model.predict_proba(pixels[None]).topk(3))
```

With plain `safetensors` and the architecture written out (no project code):

```python
import json, torch
from torch import nn
from huggingface_hub import hf_hub_download
from safetensors.torch import load_model

class DigitCNN(nn.Module):
    def __init__(self, channels, convs_per_block, hidden, dropout, num_classes=10, temperature=1.0):
        super().__init__()
        self.temperature = temperature  # calibration: probabilities are softmax(logits / temperature)
        layers, c_in, side = [], 1, 28
        for c_out in channels:
            for _ in range(convs_per_block):
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
                c_in = c_out
            layers.append(nn.MaxPool2d(2))
            side //= 2
        head, width = [nn.Flatten()], c_in * side * side
        for h in hidden:
            head += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(*head, nn.Linear(width, num_classes))

    def forward(self, x):  # x: (N, 1, 28, 28) in [0, 1], ink = 1
        return self.classifier(self.features((x - {MNIST_MEAN}) / {MNIST_STD}))

config = json.load(open(hf_hub_download("{repo_id}", "config.json")))
model = DigitCNN(**config)
load_model(model, hf_hub_download("{repo_id}", "model.safetensors"))
model.eval()

def predict_proba(pixels):  # pixels: (N, 1, 28, 28) prepared as above
    with torch.no_grad():
        return (model(pixels) / model.temperature).softmax(1)
```

## Training

{_training_paragraph(metrics)}

## Results on the MNIST test set (10,000 images; no choice of the recipe was made on them)

| metric | value |
|---|---|
| accuracy | {metrics['test_accuracy']:.2%} |
| errors | {metrics['test_errors']} |
| calibration error (ECE, 15 bins) | {_percent(metrics.get('test_ece'))} |
| validation accuracy (the {metrics.get('train_config', {}).get('validation', 0):,} held-out training digits) | {_percent(metrics.get('validation_accuracy'))} |
{_corrections_row(metrics)}
Per-class accuracy (digits 0 to 9):

| 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |
|---|---|---|---|---|---|---|---|---|---|
| {per_class} |

![Confusion matrix on the MNIST test set](confusion_matrix.png)

`metrics.json` holds these numbers, the confusion matrix and the accuracy after every epoch.

## Limitations

- One digit per image, 0 to 9. The raw model gives every input *some* answer; trained with
  outlier exposure, it answers random strokes with nearly uniform probabilities, which the
  project's app reports as "not a digit", but it still reads some letters as a confident digit.
- MNIST is American handwriting from the 1990s. Training adds flags to 1s, crossbars to 7s and
  slashes to 0s, yet a European 1 with a long flag and no foot is still read as a 7 now and then.
- Low-resolution scans (8x8 px, enlarged) are read less well and less calibrated than drawings.
- The input must be prepared like MNIST (see Input); a digit that is not cropped and centred,
  or inverted (dark ink = 0), is read badly.
"""
