"""DigitCNN: a hand-drawn digit recognizer trained on MNIST. Importable without Gradio."""

__version__ = "0.6.0"  # the package's and the app's version (pyproject.toml reads it from here)

from .hub import load_model
from .model import CONFIGS, DigitCNN, ModelLoadError
from .preprocess import to_mnist

__all__ = ["CONFIGS", "DigitCNN", "ModelLoadError", "load_model", "to_mnist"]
