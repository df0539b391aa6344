"""What several test modules share: paths, the local Hub's tokens, and running the app or train.py as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Tokens the local Hub (conftest.HUB) knows: alice may write to her namespace and digits-org, bob may only read.
WRITE_TOKEN = "hf_test_write_alice_0123456789"
READ_TOKEN = "hf_test_read_bob_0123456789"


def start_app(env_extra: dict, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Import the app.py in `cwd` in a fresh process with extra environment.

    It prints which weights it serves and their temperature: "SERVING alice/x@main T=1.5".
    """
    script = "import app; print('SERVING', app.SERVED.description, f'T={app.SERVED.model.temperature:g}')"
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def train_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "train.py"), *map(str, args)]


def run_train(*args: str, token: str | None = None, cwd: Path = ROOT, **env_extra: str) -> subprocess.CompletedProcess:
    """`python train.py ARGS` in a subprocess, with HF_TOKEN set to `token` (unset when None)."""
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    env.update(env_extra)
    if token:
        env["HF_TOKEN"] = token
    return subprocess.run(train_command(*args), capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
