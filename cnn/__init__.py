"""DigitCNN: a hand-drawn digit recognizer trained on MNIST. Importable without Gradio."""

from .hub import load_model
from .model import CONFIGS, DigitCNN, ModelLoadError
from .preprocess import to_mnist

__all__ = ["CONFIGS", "DigitCNN", "ModelLoadError", "load_model", "to_mnist"]
