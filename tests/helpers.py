"""What several test modules share: paths, the local Hub's tokens, and running the app or train.py as a user would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

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


def readme_bash_block(heading: str) -> str:
    """The first bash block under this README heading, with your-name replaced as a reader would."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split(heading + "\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, f"README: no bash block under {heading!r}"
    return block.group(1).replace("your-name", "alice")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningApp:
    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log

    def output(self) -> str:
        """Everything the app printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")


@contextmanager
def running_app(env_extra: dict, log: Path, cwd: Path = ROOT):
    """`python app.py` in a subprocess with extra environment, serving on a free port until the block ends."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), **env_extra}
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "app.py"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    app = RunningApp(f"http://127.0.0.1:{port}/", log)
    try:
        for _ in range(480):  # the app imports torch and gradio first
            if server.poll() is not None:
                raise RuntimeError(f"the app exited ({server.returncode}): {app.output()[-3000:]}")
            try:
                if httpx.get(app.url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            raise RuntimeError(f"the app did not start: {app.output()[-3000:]}")
        yield app
    finally:
        server.terminate()
        server.wait(timeout=30)
