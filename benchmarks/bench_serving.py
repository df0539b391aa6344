"""End to end through gradio_client on loopback: the app against Gradio's own floor, same run.

    python benchmarks/bench_serving.py            # ~6 min on 2 cores
    python benchmarks/bench_serving.py --quick    # fewer requests

Starts app.py and benchmarks/floor_app.py (same /predict input type, queue and batching, a
trivial function) as separate processes, and measures: serial round trips; 32 concurrent
clients; 32 clients sending the very same image at the same moment; the server's resident
memory before and after 5,000 requests. Clients run on the same 2 cores as the server.

Each load runs twice: with gradio_client as it comes, and with clients given one shared SSL
context (`Client(url, ssl_verify=ssl.create_default_context())`). As it comes, gradio_client
opens a new httpx client for every upload and every call, and each one loads the CA bundle
(encode/httpx#2298): ~75 ms of CPU per request here, on the cores the server needs. With
clients on other machines, as a Space's users are, that cost is theirs, not the server's.
Prints Markdown; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file

ROOT = Path(__file__).resolve().parent.parent
IMAGE = str(ROOT / "examples" / "seven_pencil.png")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            Client(url, verbose=False)
            return process, url
        except Exception:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{script} did not start")


# How the clients are built: gradio_client as it comes, or sharing one SSL context.
CLIENT_KINDS = {"as they come": {}, "shared SSL context": {"ssl_verify": ssl.create_default_context()}}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serial(url: str, count: int, server_pid: int, client_options: dict) -> tuple[list[float], float, float]:
    """Round-trip times, and the server's and the client's CPU seconds per request."""
    client = Client(url, verbose=False, **client_options)
    file = handle_file(IMAGE)
    for _ in range(10):
        client.predict(file, api_name="/predict")
    times = []
    server_cpu, client_cpu = cpu_seconds(server_pid), own_cpu_seconds()
    for _ in range(count):
        started = time.perf_counter()
        client.predict(file, api_name="/predict")
        times.append(time.perf_counter() - started)
    return times, (cpu_seconds(server_pid) - server_cpu) / count, (own_cpu_seconds() - client_cpu) / count


def concurrent(
    url: str, clients: int, each: int, max_seconds: float, barrier_rounds: int = 0, client_options: dict | None = None
):
    """`clients` threads with a Client each. With barrier_rounds, they fire together that many times."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    deadline = time.monotonic() + max_seconds
    ready = [Client(url, verbose=False, **(client_options or {})) for _ in range(clients)]

    def worker(client: Client) -> None:
        file = handle_file(IMAGE)
        for _ in range(barrier_rounds or each):
            if barrier_rounds:
                try:
                    barrier.wait(timeout=max_seconds)
                except threading.BrokenBarrierError:
                    return
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            try:
                answer = client.predict(file, api_name="/predict")
                ok = answer.get("label") == "7"
            except Exception as err:  # counted, not raised
                ok, answer = False, repr(err)
            with lock:
                times.append(time.perf_counter() - started)
                if not ok:
                    errors.append(str(answer)[:200])

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in ready]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors, time.perf_counter() - started


def fmt(times: list[float], q: float) -> str:
    return f"{np.percentile(times, q) * 1000:.0f}" if times else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer requests (a quick look)")
    args = parser.parse_args()
    n_serial, n_each, n_memory = (50, 5, 500) if args.quick else (300, 25, 5000)

    servers = {name: start(ROOT / path) for name, path in (("app", "app.py"), ("floor", "benchmarks/floor_app.py"))}
    try:
        print(f"machine: {os.cpu_count()} CPUs; server and clients share them\n")
        print("## Serial round trips (one client)\n")
        print("| server | clients | requests | p50 ms | p99 ms | server CPU ms/request | client CPU ms/request |")
        print("|---|---|---|---|---|---|---|")
        medians = {}
        for kind, options in CLIENT_KINDS.items():
            for name, (process, url) in servers.items():
                times, server_cpu, client_cpu = serial(url, n_serial, process.pid, options)
                medians[name, kind] = np.median(times)
                print(
                    f"| {name} | {kind} | {len(times)} | {fmt(times, 50)} | {fmt(times, 99)} | "
                    f"{server_cpu * 1000:.1f} | {client_cpu * 1000:.1f} |",
                    flush=True,
                )
        for kind in CLIENT_KINDS:
            print(f"\napp / floor, p50, {kind} clients: {medians['app', kind] / medians['floor', kind]:.2f}x")

        print("\n## 32 concurrent clients\n")
        print("| server | clients | load | requests | errors | p50 ms | p95 ms | p99 ms | requests/s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for kind, options in CLIENT_KINDS.items():
            for name, (_, url) in servers.items():
                for load, kwargs in (
                    (f"{n_each} requests each", dict(each=n_each, max_seconds=300)),
                    ("same image at the same moment, 10 rounds", dict(each=0, max_seconds=300, barrier_rounds=10)),
                ):
                    times, errors, seconds = concurrent(url, 32, client_options=options, **kwargs)
                    print(
                        f"| {name} | {kind} | {load} | {len(times)} | {len(errors)} | {fmt(times, 50)} | "
                        f"{fmt(times, 95)} | {fmt(times, 99)} | {len(times) / seconds:.0f} |",
                        flush=True,
                    )
                    if errors:
                        print(f"\nfirst error: {errors[0]}\n")

        process, url = servers["app"]
        before = rss_mb(process.pid)
        lean = CLIENT_KINDS["shared SSL context"]  # the same requests to the server, sooner
        times, errors, seconds = concurrent(url, 8, each=n_memory // 8, max_seconds=1800, client_options=lean)
        after = rss_mb(process.pid)
        times2, errors2, _ = concurrent(url, 8, each=n_memory // 8, max_seconds=1800, client_options=lean)
        after2 = rss_mb(process.pid)
        print("\n## Resident memory of the app's server (8 clients, shared SSL context)\n")
        print("| after warm-up | after 5,000 more requests | after 5,000 more | errors |")
        print("|---|---|---|---|")
        print(f"| {before:.0f} MB | {after:.0f} MB ({len(times)} requests) | {after2:.0f} MB ({len(times2)} requests) | {len(errors) + len(errors2)} |")
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
