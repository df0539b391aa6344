"""Shared fixtures: MNIST test digits (from $MNIST_ROOT or ../shared/data) and a local Hub.

huggingface_hub reads HF_ENDPOINT, HF_HOME, HF_HUB_DISABLE_XET... once, when it is imported, so
the local Hub's socket is bound and the environment set here, before anything imports it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from fake_hub import FakeHub  # tests/ and the root are on pytest's pythonpath (pytest.ini)
from helpers import READ_TOKEN, WRITE_TOKEN

HUB = FakeHub(
    tokens={
        WRITE_TOKEN: {"user": "alice", "role": "write", "orgs": ["digits-org"]},
        READ_TOKEN: {"user": "bob", "role": "read", "orgs": []},
    }
)
HF_HOME = tempfile.mkdtemp(prefix="digit-cnn-hf-home-")
os.environ.update(
    HF_ENDPOINT=HUB.url,
    HF_HOME=HF_HOME,
    HF_HUB_DISABLE_XET="1",  # the local Hub speaks plain Git LFS, not Xet
    HF_HUB_DISABLE_TELEMETRY="1",
    HF_HUB_ETAG_TIMEOUT="2",
    HF_HUB_DOWNLOAD_TIMEOUT="5",
    GRADIO_ANALYTICS_ENABLED="False",  # no calls home from the tests
)
for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE", "MODEL_REPO", "MODEL_REVISION"):
    os.environ.pop(name, None)

from cnn.data import default_data_dir, load_mnist  # noqa: E402


@pytest.fixture(scope="session")
def app_url() -> str:
    """app.py's demo, launched once for the session as `python app.py` would (closed at the end)."""
    import app

    app.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True, **app.LAUNCH_OPTIONS)
    try:
        yield app.demo.local_url
    finally:
        app.demo.close()


@pytest.fixture
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def hub() -> FakeHub:
    """The local Hub, serving on HF_ENDPOINT for the whole session."""
    HUB.start()
    try:
        yield HUB
    finally:
        HUB.stop()


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test digits as (N, 28, 28) float32 in [0, 1] and their labels."""
    root = default_data_dir()
    if not (Path(root) / "MNIST" / "raw").is_dir():
        pytest.fail(f"MNIST is not at {root}/MNIST/raw: set MNIST_ROOT (tests never download it)")
    images, labels = load_mnist(root, train=False, download=False)
    return images.squeeze(1).numpy(), labels.numpy()
