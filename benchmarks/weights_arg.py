"""The benchmarks' --weights: a model folder, or the word "shipped" (every benchmark's default)."""

from __future__ import annotations

import cnn

SHIPPED = "shipped"


def load_weights(name: str) -> cnn.DigitCNN:
    """The model in folder `name`, or the shipped weights for "shipped"."""
    return cnn.load_model(None if name == SHIPPED else name)
