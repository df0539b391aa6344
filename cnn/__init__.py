"""DigitCNN: a hand-drawn digit recognizer trained on MNIST. Importable without Gradio."""

from .hub import ModelLoadError, load_model, save_pretrained
from .model import CONFIGS, DigitCNN
from .preprocess import to_mnist

__all__ = ["CONFIGS", "DigitCNN", "ModelLoadError", "load_model", "save_pretrained", "to_mnist"]
