"""Evaluation: predictions over a data set, accuracy, per-class accuracy, confusion matrix (and its PNG)."""

from __future__ import annotations

import os

import torch
from PIL import Image, ImageDraw, ImageFont


@torch.inference_mode()
def predict(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Predicted class of each (N, 1, 28, 28) image, in eval mode, in batches to bound memory."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(chunk).argmax(dim=1) for chunk in images.split(batch_size)])
    finally:
        model.train(was_training)


@torch.inference_mode()
def logits_of(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The model's raw logits for (N, 1, 28, 28) images, in eval mode and float32."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(chunk).float() for chunk in images.split(batch_size)])
    finally:
        model.train(was_training)


def calibrated_top1(logits: torch.Tensor, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The top-1 probability and class of each row of logits, after temperature scaling."""
    return (logits / temperature).softmax(1).max(1)


def expected_calibration_error(confidence: torch.Tensor, correct: torch.Tensor, bins: int = 15) -> float:
    """ECE of the top-1 answers: |accuracy - mean confidence| over equal-width confidence bins,
    weighted by the share of answers in each bin (Guo et al. 2017)."""
    confidence, correct = confidence.double().flatten(), correct.double().flatten()
    which = (confidence * bins).long().clamp(0, bins - 1)
    gap = torch.bincount(which, weights=correct - confidence, minlength=bins).abs()
    return float(gap.sum() / max(1, len(confidence)))


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature T that minimises the cross-entropy of softmax(logits / T) (temperature
    scaling, Guo et al. 2017): one number, so the ranking of the answers never changes."""
    logits = logits.detach().clone()  # may come from inference mode, which autograd cannot use
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return float(log_t.detach().exp())


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """matrix[true, predicted] = count."""
    flat = labels.long() * num_classes + predictions.long()
    return torch.bincount(flat, minlength=num_classes**2).view(num_classes, num_classes)


def summarize(labels: torch.Tensor, predictions: torch.Tensor) -> dict:
    """Accuracy, per-class accuracy and confusion matrix as plain JSON-ready values."""
    matrix = confusion_matrix(labels, predictions)
    per_class = matrix.diag().double() / matrix.sum(dim=1).clamp(min=1)
    return {
        "test_accuracy": (labels == predictions).double().mean().item(),
        "test_errors": int((labels != predictions).sum()),
        "test_samples": len(labels),
        "per_class_accuracy": {str(c): round(acc, 6) for c, acc in enumerate(per_class.tolist())},
        "confusion_matrix": matrix.tolist(),
    }


def render_confusion_matrix(matrix: list[list[int]], path: str | os.PathLike, title: str = "") -> None:
    """A readable heat map with counts, drawn with PIL so training needs no plotting library."""
    n, cell, margin = len(matrix), 48, 64
    size = margin + n * cell + 16
    image = Image.new("RGB", (size, size + 24), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    row_totals = [max(sum(row), 1) for row in matrix]
    for true in range(n):
        for pred in range(n):
            count = matrix[true][pred]
            share = count / row_totals[true]
            # Correct cells blue, errors red, shade by share of the true class (errors boosted to be visible).
            strength = share if true == pred else min(1.0, share * 20)
            base = (40, 90, 200) if true == pred else (210, 50, 40)
            fill = tuple(int(255 - (255 - c) * strength) for c in base) if count else (248, 248, 248)
            x, y = margin + pred * cell, margin + true * cell
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=fill, outline=(220, 220, 220))
            if count:
                colour = "white" if strength > 0.55 else "black"
                draw.text((x + cell / 2, y + cell / 2), str(count), fill=colour, font=font, anchor="mm")
    for c in range(n):
        draw.text((margin + c * cell + cell / 2, margin - 12), str(c), fill="black", font=font, anchor="mm")
        draw.text((margin - 14, margin + c * cell + cell / 2), str(c), fill="black", font=font, anchor="mm")
    draw.text((margin + n * cell / 2, margin - 34), "predicted", fill="black", font=font, anchor="mm")
    draw.text((8, margin - 34), "true", fill="black", font=font)
    draw.text((margin, size + 4), title, fill="black", font=font)
    image.save(path, format="PNG")
