"""A small in-memory Hugging Face Hub that the real `huggingface_hub` client talks to over HTTP.

Start it on 127.0.0.1 (random free port), then point the client at `hub.url`: `HfApi(endpoint=hub.url)`,
`hf_hub_download(..., endpoint=hub.url)`, or `HF_ENDPOINT=hub.url` in the environment of a subprocess
(huggingface_hub reads HF_ENDPOINT, HF_HUB_OFFLINE, HF_HUB_DISABLE_XET... once, at import time).

Uploads: with `hf_xet` installed, huggingface_hub 2.4.0 uploads LFS files through Xet whatever the server
says; this hub only speaks the Git LFS "basic" transfer, so set HF_HUB_DISABLE_XET=1 before importing
huggingface_hub (or pass LFS files as open binary file objects, which makes the client fall back to LFS).
Downloads never use Xet here: no `X-Xet-Hash` header is ever sent.

Endpoints (model repos only; repo ids are "name" or "namespace/name"; a revision is a branch name or a full
40-hex commit oid, URL-encoded, e.g. refs%2Fpr%2F1):
  GET      /api/whoami-v2                                  who owns the Bearer token (401 if none/unknown)
  POST     /api/repos/create                               create a repo (401 / 403 / 409 + {"url"})
  POST     /api/validate-yaml                              README.md metadata check (always valid)
  GET      /api/models/{repo_id}                           model info at main
  GET      /api/models/{repo_id}/revision/{revision}       model info at a revision
  GET      /api/models/{repo_id}/tree/{revision}[/{path}]  file listing (?recursive=true), for snapshot_download
  GET      /api/models/{repo_id}/refs                      branches
  POST     /api/models/{repo_id}/preupload/{revision}      "lfs" or "regular" upload mode per file
  POST     /api/models/{repo_id}/commit/{branch}           NDJSON commit: header/file/lfsFile/deletedFile/deletedFolder
  POST     /api/models/{repo_id}/branch/{branch}           create a branch ({"startingPoint"}, 409 if it exists)
  GET      /api/models/{repo_id}/xet-{read,write}-token/*  501: this hub does not speak Xet
  POST     /{repo_id}.git/info/lfs/objects/batch           Git LFS batch API, "basic" transfer
  POST     /{repo_id}.git/info/lfs/objects/verify          LFS verify step after an upload
  PUT      /lfs-upload/{sha256}                            LFS object upload (the batch API's href, no auth)
  HEAD,GET /{repo_id}/resolve/{revision}/{path}            file metadata / content (Range supported)
Anything else answers 404. Errors are JSON {"error": ...} with X-Error-Message and, where the Hub sends it,
X-Error-Code (RepoNotFound / RevisionNotFound / EntryNotFound). Like the Hub, an unknown Bearer token is a
401 on every endpoint, and a private repo is "not found" (401 anonymous, 404 authenticated) to non-members.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".png")
LFS_THRESHOLD = 10 * 1024 * 1024
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.png filter=lfs diff=lfs merge=lfs -text\n"
_API_ACTIONS = {"revision", "tree", "refs", "preupload", "commit", "branch", "xet-read-token", "xet-write-token"}


def is_lfs(path: str, data: bytes) -> bool:
    """Same rule as the preupload answer: non-empty *.safetensors / *.png, or anything over 10 MB."""
    return len(data) > 0 and (path.endswith(LFS_SUFFIXES) or len(data) > LFS_THRESHOLD)


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _file_entry(path: str, data: bytes) -> dict:
    """A tree entry as /api/models/{repo}/tree returns it (LFS files carry an "lfs" block)."""
    entry = {"type": "file", "path": path, "size": len(data), "oid": git_blob_oid(data)}
    if is_lfs(path, data):
        sha = hashlib.sha256(data).hexdigest()
        pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n".encode()
        entry["oid"] = git_blob_oid(pointer)
        entry["lfs"] = {"oid": sha, "size": len(data), "pointerSize": len(pointer)}
    return entry


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers=None, extra=None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers, self.extra = dict(headers or {}), dict(extra or {})


def _json(body: bytes):
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise HubError(400, "Invalid JSON body") from None


class FakeHub:
    def __init__(self, tokens: dict[str, dict] | None = None, host: str = "127.0.0.1", port: int = 0):
        self.tokens = dict(tokens or {})  # token -> {"user": ..., "role": "write"|"read", "orgs": [...]}
        self.repos: dict[str, dict] = {}  # repo_id -> {"private", "created", "refs", "commits"}
        self.lfs: dict[str, bytes] = {}  # sha256 hex -> content
        self.requests: list[tuple[str, str]] = []  # (method, raw URL path without query)
        self._lock = threading.RLock()
        self._fail: tuple[int, int | None] | None = None
        self._delay = 0.0
        self._pending_lfs: dict[str, int] = {}  # oid -> size announced through the batch API
        self._counter = 0
        self._server = _Server((host, port), _Handler)
        self._server.hub = self
        self._thread: threading.Thread | None = None

    # ----- test helpers -----
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_with(self, status: int | None, retry_after: int | None = None) -> None:
        """Answer every request with this HTTP status (optionally with a Retry-After header) until None."""
        with self._lock:
            self._fail = None if status is None else (status, retry_after)

    def delay(self, seconds: float) -> None:
        """Sleep this long before answering every request (0 to stop)."""
        with self._lock:
            self._delay = float(seconds)

    def create_repo(self, repo_id: str, private: bool = False) -> dict:
        """Plant a repo with its initial commit on main, as the Hub does on creation."""
        with self._lock:
            repo = {"private": private, "created": _now(), "refs": {}, "commits": {}}
            self.repos[repo_id] = repo
            self._add_commit(repo_id, "main", {".gitattributes": GITATTRIBUTES}, "initial commit")
            return repo

    def put_files(self, repo_id: str, files: dict, message: str = "Planted by a test", branch: str = "main") -> str:
        """Commit `files` (path -> bytes, or None to delete) straight onto `branch`; creates the repo if needed."""
        with self._lock:
            if repo_id not in self.repos:
                self.create_repo(repo_id)
            merged = dict(self.files(repo_id, branch))
            for path, data in files.items():
                if data is None:
                    merged.pop(path, None)
                else:
                    merged[path] = bytes(data)
                    if is_lfs(path, merged[path]):
                        self.lfs[hashlib.sha256(merged[path]).hexdigest()] = merged[path]
            return self._add_commit(repo_id, branch, merged, message)

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        with self._lock:
            repo = self.repos[repo_id]
            return dict(repo["commits"][self._resolve_rev(repo, revision)]["files"])

    def commits(self, repo_id: str, branch: str = "main") -> list[str]:
        """Commit oids reachable from `branch`, newest first."""
        with self._lock:
            repo, out = self.repos[repo_id], []
            oid = repo["refs"][branch]
            while oid is not None:
                out.append(oid)
                oid = repo["commits"][oid]["parent"]
            return out

    # ----- internals -----
    def _add_commit(self, repo_id: str, branch: str, files: dict, message: str) -> str:
        repo = self.repos[repo_id]
        self._counter += 1
        parent = repo["refs"].get(branch)
        oid = hashlib.sha1(f"{repo_id}\0{parent}\0{message}\0{self._counter}\0{time.time_ns()}".encode()).hexdigest()
        repo["commits"][oid] = {"files": files, "parent": parent, "message": message, "date": _now()}
        repo["refs"][branch] = oid
        return oid

    def _resolve_rev(self, repo: dict, revision: str) -> str:
        if revision in repo["refs"]:
            return repo["refs"][revision]
        if revision in repo["commits"]:
            return revision
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _caller(self, headers) -> dict | None:
        auth = headers.get("Authorization")
        if not auth:
            return None
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        if token not in self.tokens:
            raise HubError(401, "Invalid credentials in Authorization header")
        return self.tokens[token]

    @staticmethod
    def _member(user: dict | None, namespace: str) -> bool:
        return user is not None and (namespace == user["user"] or namespace in user.get("orgs", []))

    def _repo(self, user: dict | None, repo_id: str, write: bool = False) -> dict:
        repo, namespace = self.repos.get(repo_id), repo_id.split("/")[0] if "/" in repo_id else ""
        if repo is None or (repo["private"] and not self._member(user, namespace)):
            raise HubError(401 if user is None else 404, "Repository not found", "RepoNotFound")
        if write and user is None:
            raise HubError(401, "You must be authenticated to write to this repo")
        if write and not (user.get("role") == "write" and self._member(user, namespace)):
            raise HubError(403, f"You don't have the rights to write to {repo_id}")
        return repo

    def _route(self, method: str, segs: list[str], query: dict, body: bytes, headers):
        if method == "PUT" and len(segs) == 2 and segs[0] == "lfs-upload":
            return self._lfs_put(segs[1], body)
        user = self._caller(headers)
        if method == "GET" and segs == ["api", "whoami-v2"]:
            return self._whoami(user)
        if method == "POST" and segs == ["api", "repos", "create"]:
            return self._create(user, _json(body))
        if method == "POST" and segs == ["api", "validate-yaml"]:
            return 200, {}, {"errors": [], "warnings": []}
        if segs[:2] == ["api", "models"] and len(segs) > 2:
            rest = segs[2:]
            n = 2 if len(rest) > 1 and rest[1] not in _API_ACTIONS else 1
            action = rest[n] if len(rest) > n else ""
            return self._model_api(method, user, "/".join(rest[:n]), action, rest[n + 1 :], query, body)
        for n in (2, 1):  # /{repo_id}/resolve/{revision}/{path}
            if method in ("GET", "HEAD") and len(segs) > n + 2 and segs[n] == "resolve":
                path, range_ = "/".join(segs[n + 2 :]), headers.get("Range")
                return self._resolve(user, "/".join(segs[:n]), segs[n + 1], path, range_)
        for n in (2, 1):  # /{repo_id}.git/info/lfs/objects/{batch,verify}
            if method == "POST" and len(segs) == n + 4 and segs[n - 1].endswith(".git"):
                if segs[n : n + 3] == ["info", "lfs", "objects"] and segs[-1] in ("batch", "verify"):
                    repo_id = "/".join(segs[:n])[: -len(".git")]
                    self._repo(user, repo_id, write=True)
                    return (self._lfs_batch if segs[-1] == "batch" else self._lfs_verify)(repo_id, _json(body))
        raise HubError(404, f"Not found: {method} /{'/'.join(segs)}")

    def _whoami(self, user):
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        orgs = [{"type": "org", "name": org, "roleInOrg": "write"} for org in user.get("orgs", [])]
        access = {"displayName": "test", "role": user.get("role", "read")}
        return 200, {}, {"type": "user", "name": user["user"], "fullname": user["user"], "orgs": orgs,
                         "auth": {"type": "access_token", "accessToken": access}}

    def _create(self, user, req: dict):
        if user is None:
            raise HubError(401, "You must be authenticated to create a repo")
        if req.get("type") not in (None, "model"):
            raise HubError(400, "This fake hub only hosts model repos")
        name, namespace = req.get("name"), req.get("organization") or user["user"]
        if not isinstance(name, str) or not name or "/" in name:
            raise HubError(400, f"Invalid repo name: {name!r}")
        if user.get("role") != "write" or not self._member(user, namespace):
            raise HubError(403, f'You don\'t have the rights to create a model under the namespace "{namespace}"')
        repo_id = f"{namespace}/{name}"
        url = f"{self.url}/{repo_id}"
        if repo_id in self.repos:
            raise HubError(409, "You already created this model repo", extra={"url": url})
        self.create_repo(repo_id, private=req.get("visibility") == "private" or bool(req.get("private")))
        return 200, {}, {"url": url, "name": repo_id}

    def _model_api(self, method, user, repo_id, action, args, query, body):
        if action.startswith("xet-"):
            raise HubError(501, "This fake hub does not speak Xet: set HF_HUB_DISABLE_XET=1 before importing "
                                "huggingface_hub")
        write = method == "POST"  # preupload, commit, branch
        repo = self._repo(user, repo_id, write=write)
        if method == "GET" and action in ("", "revision") and len(args) == (1 if action else 0):
            oid = self._resolve_rev(repo, args[0] if args else "main")
            return 200, {}, self._info(repo_id, repo, oid, blobs="blobs" in query)
        if method == "GET" and action == "tree" and args:
            recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
            return 200, {}, self._tree(repo, self._resolve_rev(repo, args[0]), "/".join(args[1:]), recursive)
        if method == "GET" and action == "refs" and not args:
            branches = [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": oid} for b, oid in repo["refs"].items()]
            return 200, {}, {"branches": branches, "converts": [], "tags": []}
        if method == "POST" and action == "preupload" and len(args) == 1:
            return self._preupload(repo, args[0], _json(body))
        if method == "POST" and action == "commit" and len(args) == 1:
            if query.get("create_pr"):
                raise HubError(400, "This fake hub does not support pull requests")
            return self._commit(repo_id, repo, args[0], body)
        if method == "POST" and action == "branch" and args:
            branch, start = "/".join(args), _json(body).get("startingPoint")
            if branch in repo["refs"]:
                raise HubError(409, f"Reference already exists: refs/heads/{branch}")
            repo["refs"][branch] = self._resolve_rev(repo, start) if start else repo["refs"]["main"]
            return 200, {}, {"name": branch, "ref": f"refs/heads/{branch}", "targetCommit": repo["refs"][branch]}
        raise HubError(404, f"Not found: {method} /api/models/{repo_id}/{action}")

    def _info(self, repo_id, repo, oid, blobs):
        commit, siblings = repo["commits"][oid], []
        for path, data in sorted(commit["files"].items()):
            sibling, entry = {"rfilename": path}, _file_entry(path, data)
            if blobs:
                sibling.update(size=len(data), blobId=entry["oid"])
                if "lfs" in entry:
                    lfs = entry["lfs"]
                    sibling["lfs"] = {"size": lfs["size"], "sha256": lfs["oid"], "pointerSize": lfs["pointerSize"]}
            siblings.append(sibling)
        return {"_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, "modelId": repo_id,
                "author": repo_id.split("/")[0] if "/" in repo_id else None, "sha": oid, "private": repo["private"],
                "lastModified": commit["date"], "createdAt": repo["created"], "disabled": False, "gated": False,
                "downloads": 0, "likes": 0, "tags": [], "siblings": siblings}

    def _tree(self, repo, oid, path, recursive):
        files = repo["commits"][oid]["files"]
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in files):
            raise HubError(404, f"{path} does not exist on {oid}", "EntryNotFound")
        dirs, entries = set(), []
        for p in sorted(files):
            if p.startswith(prefix):
                parts = p[len(prefix) :].split("/")
                dirs.update(prefix + "/".join(parts[:i]) for i in range(1, len(parts)) if recursive or i == 1)
                if recursive or len(parts) == 1:
                    entries.append(_file_entry(p, files[p]))
        folders = [{"type": "directory", "path": d, "size": 0, "oid": hashlib.sha1(d.encode()).hexdigest()}
                   for d in sorted(dirs)]
        return folders + entries

    def _preupload(self, repo, revision, req):
        files, answers = repo["commits"][self._resolve_rev(repo, revision)]["files"], []
        for f in req.get("files", []):
            path, size = f["path"], int(f["size"])
            lfs = size > 0 and (path.endswith(LFS_SUFFIXES) or size > LFS_THRESHOLD)
            answer = {"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False}
            if path in files:  # lets the client skip unchanged files, like the Hub
                old = files[path]
                answer["oid"] = hashlib.sha256(old).hexdigest() if is_lfs(path, old) else git_blob_oid(old)
            answers.append(answer)
        return 200, {}, {"files": answers, "commitOid": self._resolve_rev(repo, revision)}

    def _commit(self, repo_id, repo, branch, body):
        try:
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        except ValueError:
            raise HubError(400, "Invalid NDJSON body") from None
        header = next((line.get("value") for line in lines if line.get("key") == "header"), None)
        if not isinstance(header, dict) or not header.get("summary"):
            raise HubError(400, "The commit needs a header line with a summary")
        if branch not in repo["refs"]:
            raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
        head, parent = repo["refs"][branch], header.get("parentCommit")
        if parent and not head.startswith(parent):
            raise HubError(412, "A commit has happened since. Please refresh and try again.")
        files = dict(repo["commits"][head]["files"])
        for line in lines:
            key, value = line.get("key"), line.get("value") or {}
            if key == "file":
                raw = value["content"]  # huggingface_hub always sends base64
                files[value["path"]] = base64.b64decode(raw) if value.get("encoding") == "base64" else raw.encode()
            elif key == "lfsFile":
                data = self.lfs.get(value["oid"])
                if data is None or value.get("size", len(data)) != len(data):
                    raise HubError(422, f"LFS object {value['oid']} for {value['path']} was not uploaded")
                files[value["path"]] = data
            elif key == "deletedFile":
                if files.pop(value["path"], None) is None:
                    raise HubError(404, f"A file with this name doesn't exist: {value['path']}", "EntryNotFound")
            elif key == "deletedFolder":
                for path in [p for p in files if p.startswith(value["path"].rstrip("/") + "/")]:
                    del files[path]
            elif key != "header":
                raise HubError(400, f"Unknown commit line key: {key!r}")
        message = header["summary"] + (f"\n\n{header['description']}" if header.get("description") else "")
        oid = self._add_commit(repo_id, branch, files, message)
        return 200, {}, {"success": True, "commitOid": oid, "commitUrl": f"{self.url}/{repo_id}/commit/{oid}",
                         "pullRequestUrl": None}

    def _lfs_batch(self, repo_id, req):
        if req.get("operation") != "upload":
            raise HubError(400, "This fake hub only supports LFS uploads")
        objects = []
        for obj in req.get("objects", []):
            item = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.lfs:  # already stored objects get no actions
                self._pending_lfs[obj["oid"]] = obj["size"]
                item["actions"] = {"upload": {"href": f"{self.url}/lfs-upload/{obj['oid']}"},
                                   "verify": {"href": f"{self.url}/{repo_id}.git/info/lfs/objects/verify"}}
            objects.append(item)
        return 200, {"Content-Type": "application/vnd.git-lfs+json"}, {"transfer": "basic", "objects": objects}

    def _lfs_verify(self, repo_id, req):
        data = self.lfs.get(req.get("oid"))
        if data is None or len(data) != req.get("size"):
            raise HubError(404, f"LFS object {req.get('oid')} not found")
        return 200, {}, {"success": True}

    def _lfs_put(self, oid, body):
        size = self._pending_lfs.get(oid)
        if size is None:
            raise HubError(403, f"No upload was requested for LFS object {oid}")
        if len(body) != size or hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"Uploaded content does not match oid {oid} / size {size}")
        self.lfs[oid] = body
        del self._pending_lfs[oid]
        return 200, {"ETag": f'"{hashlib.md5(body).hexdigest()}"'}, b""

    def _resolve(self, user, repo_id, revision, path, range_header):
        repo = self._repo(user, repo_id)
        oid = self._resolve_rev(repo, revision)
        data = repo["commits"][oid]["files"].get(path)
        if data is None:
            raise HubError(404, "Entry not found", "EntryNotFound", headers={"X-Repo-Commit": oid})
        headers = {"X-Repo-Commit": oid, "ETag": f'"{git_blob_oid(data)}"', "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        if is_lfs(path, data):
            sha = hashlib.sha256(data).hexdigest()
            headers.update({"ETag": f'"{sha}"', "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data))})
        if not range_header:
            return 200, headers, data
        match, n = re.fullmatch(r"bytes=(\d*)-(\d*)", range_header.strip()), len(data)
        if match is None or match.groups() == ("", ""):
            raise HubError(416, "Invalid range", headers={"Content-Range": f"bytes */{n}"})
        start, end = match.groups()
        start, end = (max(0, n - int(end)), n - 1) if start == "" else (int(start), min(int(end or n - 1), n - 1))
        if start >= n or start > end:
            raise HubError(416, "Range not satisfiable", headers={"Content-Range": f"bytes */{n}"})
        headers["Content-Range"] = f"bytes {start}-{end}/{n}"
        return 206, headers, data[start : end + 1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # clients that hang up (timeouts) are not errors
        pass


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeHub/1.0"

    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _dispatch(self) -> None:
        hub: FakeHub = self.server.hub
        split = urlsplit(self.path)
        with hub._lock:
            hub.requests.append((self.command, split.path))
            fail, delay = hub._fail, hub._delay
        try:
            body = self._read_body()
            if delay:
                time.sleep(delay)
            if fail is not None:
                status, retry_after = fail
                extra = {} if retry_after is None else {"Retry-After": str(retry_after)}
                raise HubError(status, f"Fake hub: injected HTTP {status}", headers=extra)
            segs = [unquote(s) for s in split.path.split("/") if s]
            with hub._lock:
                status, headers, payload = hub._route(self.command, segs, parse_qs(split.query), body, self.headers)
        except HubError as err:
            status, payload = err.status, {"error": err.message, **err.extra}
            headers = {"X-Error-Message": err.message.encode("ascii", "replace").decode(), **err.headers}
            if err.code:
                headers["X-Error-Code"] = err.code
        except Exception as err:  # never let a malformed request kill the server
            status, headers, payload = 500, {}, {"error": f"Fake hub internal error: {err!r}"}
        self._send(status, headers, payload)

    def _send(self, status: int, headers: dict, payload) -> None:
        if isinstance(payload, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            payload = json.dumps(payload).encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch
