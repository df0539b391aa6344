"""Publish a trained model folder to the Hub in one commit, after checking the token can write."""

from __future__ import annotations

import json
import os
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi, get_token
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from .card import CARD_NAME, CONFUSION_NAME, METRICS_NAME, build_model_card
from .hub import is_repo_id
from .model import CONFIG_NAME, WEIGHTS_NAME, load_folder


def check_push_access(repo_id: str, private: bool = False, revision: str | None = None) -> str:
    """Fail early, before any training, unless the cached token can write repo_id; returns the user.

    Creates the repo (and branch) when missing, so a later push cannot fail for want of them.
    The token is resolved by huggingface_hub (HF_TOKEN or the cached login) and never shown.
    """
    if not is_repo_id(repo_id):
        raise PushError(f"--push-to-hub wants a repo id like 'your-name/digit-cnn', got {repo_id!r}")
    api = HfApi()
    if get_token() is None:
        raise PushError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access)")
    try:
        me = api.whoami()
    except HfHubHTTPError as err:
        status = err.response.status_code if err.response is not None else None
        if status == 401:
            raise PushError("the Hugging Face token was refused (401): it is invalid or expired") from None
        raise PushError(f"cannot reach the Hub to check the token: {err}") from None
    except OfflineModeIsEnabled:
        raise PushError("HF_HUB_OFFLINE is set: unset it to push to the Hub") from None
    except OSError as err:
        raise PushError(f"cannot reach the Hub to check the token: {err}") from None
    namespace = repo_id.split("/")[0]
    problem = _write_access_problem(me, namespace, repo_id)
    if problem:
        raise PushError(f"cannot push to {repo_id}: {problem}")
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
    except HfHubHTTPError as err:
        raise PushError(f"cannot create {repo_id}{'@' + revision if revision else ''} on the Hub: {err}") from None
    return me.get("name", "?")


def _write_access_problem(me: dict, namespace: str, repo_id: str) -> str | None:
    """Why whoami's answer rules out writing to namespace, or None when it allows it."""
    access = (me.get("auth") or {}).get("accessToken") or {}
    role = access.get("role")
    user = me.get("name")
    orgs = {org.get("name"): org.get("roleInOrg") for org in me.get("orgs") or []}
    if role == "read":
        return "the token is read-only; create one with write access"
    if role == "fineGrained":
        scopes = (access.get("fineGrained") or {}).get("scoped") or []
        for scope in scopes:
            entity = (scope.get("entity") or {}).get("name")
            if entity in (namespace, repo_id) and "repo.write" in scope.get("permissions", []):
                return None
        return f"the fine-grained token has no repo.write permission on {namespace}"
    if namespace == user:
        return None
    if namespace in orgs:
        if orgs[namespace] == "read":
            return f"you ({user}) only have read access in the organisation {namespace}"
        return None
    return f"the token belongs to {user}, who is not {namespace} nor a member of it"


class PushError(RuntimeError):
    """Publishing cannot proceed; the message says why and never contains the token."""


PUSHED_FILES = (WEIGHTS_NAME, CONFIG_NAME, CARD_NAME, METRICS_NAME, CONFUSION_NAME)


def push_folder(folder: str | os.PathLike, repo_id: str, revision: str | None = None):
    """Upload a trained model folder to repo_id in ONE commit; returns huggingface_hub's CommitInfo."""
    folder = Path(folder)
    missing = [name for name in PUSHED_FILES if not (folder / name).is_file()]
    if missing:
        raise PushError(f"{folder} is not a complete model folder: missing {missing}")
    load_folder(folder)  # never publish weights that do not load
    metrics = json.loads((folder / METRICS_NAME).read_text())
    message = f"DigitCNN: MNIST test accuracy {metrics['test_accuracy']:.2%}"
    # The card's code samples name the repo, so it is rebuilt for this repo id.
    card = str(build_model_card(metrics, repo_id)).encode()
    operations = [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=card if name == CARD_NAME else str(folder / name))
        for name in PUSHED_FILES
    ]
    try:
        return HfApi().create_commit(
            repo_id,
            operations=operations,
            commit_message=message,
            commit_description=f"{metrics['test_errors']} errors of {metrics['test_samples']} MNIST test images.",
            revision=revision,
        )
    except HfHubHTTPError as err:
        raise PushError(f"upload to {repo_id} failed: {err}") from None
