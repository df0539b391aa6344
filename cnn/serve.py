"""Serving: the model behind the app, loaded once, reading batches of images.

Gradio-free, so the app's logic can be tested and benchmarked without a server.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .hub import ModelLoadError, load_model
from .model import DigitCNN
from .preprocess import to_mnist

log = logging.getLogger(__name__)

# Below this top-1 probability the app says it is not sure. Measured with
# benchmarks/bench_confidence.py: see README, "Confidence".
LOW_CONFIDENCE = 0.6
TOP_K = 3
# Larger images are refused from their header, before decoding: a 12000x12000 RGBA image
# would take 576 MB, and a decompression bomb far more. 25 MP covers any phone photo.
MAX_PIXELS = 25_000_000
MAX_FILE_BYTES = 20 * 1024 * 1024  # also given to Gradio (max_file_size), so uploads stop early


class BadImage(ValueError):
    """The file is not an image this app can read; the message is meant for the user."""


@dataclass(frozen=True)
class Reading:
    """What the model read in one image."""

    top: dict[str, float]  # the TOP_K most likely digits -> probability, most likely first
    pixels: np.ndarray  # the (28, 28) image the model saw

    @property
    def digit(self) -> str:
        return next(iter(self.top))

    @property
    def confident(self) -> bool:
        return self.top[self.digit] >= LOW_CONFIDENCE


@dataclass(frozen=True)
class ServedModel:
    model: DigitCNN
    description: str  # which weights, for people: "user/repo@rev" or "weights shipped with the app"
    card_url: str | None  # the model card, when the weights come from the Hub


def load_served_model(repo: str | None = None, revision: str | None = None) -> ServedModel:
    """MODEL_REPO@MODEL_REVISION from the Hub, or the shipped weights (with a warning) when that fails."""
    repo = repo if repo is not None else os.environ.get("MODEL_REPO") or None
    revision = revision if revision is not None else os.environ.get("MODEL_REVISION") or None
    if repo:
        try:
            model = load_model(repo, revision=revision)
            endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
            card = f"{endpoint}/{repo}" + (f"/tree/{revision}" if revision else "")
            return ServedModel(model, f"{repo}@{revision or 'main'}", card)
        except ModelLoadError as err:
            log.warning("MODEL_REPO=%s could not be loaded (%s); serving the weights shipped with the app", repo, err)
    return ServedModel(load_model(), "weights shipped with the app", None)


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open an uploaded file as an image, refusing what is not one or is too large, from its header."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise BadImage("The file is empty.")
    if size > MAX_FILE_BYTES:
        raise BadImage(f"The file is {size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        if isinstance(err, UnidentifiedImageError):
            raise BadImage("This file is not an image (PNG, JPEG, WebP, GIF, BMP or TIFF).") from None
        raise BadImage("The image is too large to read.") from None
    except OSError as err:
        raise BadImage(f"The image cannot be read: {err}") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise BadImage(f"The image is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels.")
    try:
        image.load()  # decode now: a truncated file fails here, not later
    except (OSError, SyntaxError, ValueError) as err:
        raise BadImage(f"The image is damaged or truncated ({err}).") from None
    return image


class Recognizer:
    """Reads digits in batches: preprocessing each image, one forward pass for all."""

    def __init__(self, model: DigitCNN) -> None:
        self.model = model.eval()

    def read(self, images: list[Image.Image | np.ndarray | None]) -> list[Reading | None]:
        """A Reading per image, None for blank ones (no ink: never a guess)."""
        pixels = [None if image is None else to_mnist(image) for image in images]
        inked = [p for p in pixels if p is not None]
        if not inked:
            return [None] * len(images)
        probabilities = self.model.predict_proba(torch.from_numpy(np.stack(inked)))
        values, classes = probabilities.topk(TOP_K, dim=1)
        readings = iter(
            Reading({str(c): float(v) for c, v in zip(cls.tolist(), val.tolist())}, p)
            for cls, val, p in zip(classes, values, inked)
        )
        return [None if p is None else next(readings) for p in pixels]
