"""Load a DigitCNN from the shipped weights, a local model folder, or a Hub repo.

A model folder holds config.json + model.safetensors (what loading needs; cnn.model reads and
writes them), metrics.json, the confusion-matrix PNG and README.md (the model card, cnn.card);
cnn.publish pushes one to the Hub.
"""

from __future__ import annotations

import os
from pathlib import Path

from .model import DigitCNN, ModelLoadError, load_folder

# The default weights ship with the code so the app works with no network at all: weights/ beside
# cnn/ in the repo, cnn/weights/ once installed (pyproject.toml).
_INSTALLED_WEIGHTS = Path(__file__).resolve().parent / "weights"
DEFAULT_WEIGHTS_DIR = _INSTALLED_WEIGHTS if _INSTALLED_WEIGHTS.is_dir() else Path(__file__).resolve().parent.parent / "weights"


def is_repo_id(source: str) -> bool:
    """'user/name' (not an existing local path)."""
    parts = str(source).split("/")
    return len(parts) == 2 and all(parts) and not Path(source).exists()


def load_model(
    source: str | os.PathLike | None = None,
    revision: str | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> DigitCNN:
    """An eval-mode DigitCNN from the shipped weights (None), a local folder, or a Hub repo id.

    `revision` (branch, tag or commit) pins a Hub repo; `cache_dir` overrides huggingface_hub's
    cache. Loads safetensors only and checks every
    tensor against config.json; any problem raises ModelLoadError naming the file.
    """
    if source is None:
        return load_folder(DEFAULT_WEIGHTS_DIR)
    if Path(source).is_dir():
        return load_folder(source)
    if is_repo_id(str(source)):
        return DigitCNN.from_pretrained(str(source), revision=revision, cache_dir=cache_dir)
    raise ModelLoadError(f"{source}: neither a model folder nor a Hub repo id like 'user/digit-cnn'")
