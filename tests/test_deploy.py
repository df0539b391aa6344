"""Deploying the Space: the README's commands, run as written against the local Hub, and .gitattributes.

The `hf` CLI runs in a subprocess with HF_ENDPOINT pointed at the local Hub and the token in HF_TOKEN,
as a user's shell would have them; nothing is patched.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from huggingface_hub import SpaceCard, snapshot_download

import cnn
from helpers import ROOT, WRITE_TOKEN, readme_bash_block, start_app

SPACE, MODEL = "alice/digit-recognizer", "alice/digit-cnn"
# What the Space needs (app.py and what it imports or serves) and what must stay out of it.
NEEDED = {"app.py", "requirements.txt", "README.md", ".gitattributes", "cnn/__init__.py", "cnn/serve.py",
          "cnn/ink.py", "cnn/marks.py", "cnn/pieces.py", "cnn/preprocess.py", "cnn/model.py", "weights/model.safetensors",
          "weights/config.json", "examples/seven_pencil.png"}
KEPT_OUT = ("tests/", "benchmarks/", "docs/", "runs/", ".venv/", ".git/", ".ci/")


def tracked_files() -> list[str]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [name for name in listing.stdout.decode().split("\0") if name]


def test_every_tracked_binary_file_goes_through_lfs():
    # Git's own test for binary: a NUL byte in the first 8,000 bytes.
    binaries = [name for name in tracked_files() if b"\0" in (ROOT / name).read_bytes()[:8000]]
    assert "weights/model.safetensors" in binaries and "docs/screenshot.png" in binaries
    attrs = subprocess.run(["git", "check-attr", "filter", "--", *binaries], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    not_lfs = [line for line in attrs.splitlines() if not line.endswith(": filter: lfs")]
    assert not not_lfs, f"binary files that a git push to the Hub would refuse: {not_lfs}"


@pytest.mark.slow
def test_readme_deploy_commands_create_a_space_that_serves_the_model_repo(hub, tmp_path):
    # The model repo that `train.py --push-to-hub` would have published, marked apart from the shipped weights.
    model = cnn.load_model()
    model.temperature = 1.5
    model.save_pretrained(tmp_path / "model")
    hub.put_files(MODEL, {name: (tmp_path / "model" / name).read_bytes() for name in ("config.json", "model.safetensors")})

    env = {**os.environ, "HF_TOKEN": WRITE_TOKEN, "HF_HOME": str(tmp_path / "hf-home"), "NO_COLOR": "1"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_bash_block("## Deploy the Space")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "RUNNING" in result.stdout  # hf spaces wait
    assert "would now build commit" in result.stdout  # hf spaces logs --build

    space = hub.repos[f"spaces/{SPACE}"]
    assert space["sdk"] == "gradio" and not space["private"]
    files = hub.files(f"spaces/{SPACE}")
    assert NEEDED <= set(files), sorted(NEEDED - set(files))
    assert not [name for name in files if name.startswith(KEPT_OUT) or "__pycache__" in name]
    assert files["weights/model.safetensors"] == (ROOT / "weights/model.safetensors").read_bytes()
    assert space["variables"]["MODEL_REPO"]["value"] == MODEL

    card = SpaceCard(files["README.md"].decode())
    assert card.data.sdk == "gradio" and card.data.app_file in files

    # The token appears nowhere: not in the output, the Space's files or its variables.
    assert WRITE_TOKEN not in result.stdout + result.stderr
    assert not [name for name, data in files.items() if WRITE_TOKEN.encode() in data]
    assert WRITE_TOKEN not in str(space["variables"])

    # The Space as uploaded, started the way the Space starts it (its variables in the environment).
    checkout = Path(snapshot_download(SPACE, repo_type="space", local_dir=tmp_path / "space", token=WRITE_TOKEN))
    started = start_app({"MODEL_REPO": space["variables"]["MODEL_REPO"]["value"], "HF_HOME": str(tmp_path / "run")},
                        cwd=checkout)
    assert started.returncode == 0, started.stderr[-3000:]
    assert f"SERVING {MODEL}@main T=1.5" in started.stdout
