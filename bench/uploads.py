"""Memory under oversized uploads: a running `main.py serve` (SMS, Slack, Telegram and the
sandbox on) receives six 40 MB uploads at once, from strangers and with credentials, each
with a declared Content-Length and again streamed (chunked); prints the server's RSS before,
at its peak and after, what each upload was answered, and how much of it the server took
before closing the connection.

    python bench/uploads.py [--root PATH] [--rounds 3]

``--root`` runs another checkout's server (a git worktree of an older commit) to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token"
SIZE = 40 * 1024 * 1024
CHUNK = 64 * 1024
NOWHERE = "http://127.0.0.1:9"  # nothing is sent during the run
ENV = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-twilio",
    "TWILIO_FROM_NUMBER": "+447700900999", "TWILIO_API_BASE": NOWHERE, "POOL_PUBLIC_URL": "https://pool.example.org",
    "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench-slack",
    "SLACK_API_BASE": f"{NOWHERE}/api/",
    "TELEGRAM_BOT_TOKEN": "1:bench", "TELEGRAM_WEBHOOK_SECRET": "bench-telegram",
    "TELEGRAM_API_BASE": NOWHERE,
}  # fmt: skip
UPLOADS = [
    # path, headers a caller adds (strangers add none)
    ("/twilio/sms", {"Content-Type": "application/x-www-form-urlencoded"}),
    ("/slack/events", {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1"}),
    ("/telegram/webhook", {"Content-Type": "application/json",
                           "X-Telegram-Bot-Api-Secret-Token": "bench-telegram"}),
    ("/api/sessions", {"Content-Type": "application/json"}),
    ("/api/sessions", {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}),
    ("/sandbox/inbound", {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}),
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def upload(port: int, path: str, headers: dict[str, str], chunked: bool) -> tuple[str, int]:
    """Send 40 MB (or until the server closes), reading the answer as it comes, as curl
    does; the status line and the bytes written."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.create_task(reader.readline())
    head = [f"POST {path} HTTP/1.1", "Host: pool.example.org", *(f"{k}: {v}" for k, v in headers.items())]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {SIZE}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    block = b"A" * CHUNK
    sent = 0
    try:
        while sent < SIZE and not answer.done():
            writer.write(f"{CHUNK:x}\r\n".encode() + block + b"\r\n" if chunked else block)
            await writer.drain()
            sent += CHUNK
        if chunked and not answer.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # the server closed the connection: what we want
    try:
        status = (await asyncio.wait_for(answer, 30)).decode().strip() or "(closed without an answer)"
    except (ConnectionError, OSError, TimeoutError):
        status = "(closed without an answer)"
    writer.close()
    return status, sent


async def round_of_uploads(port: int, pid: int, chunked: bool) -> tuple[float, list[tuple[str, str, int]]]:
    peak = rss_mb(pid)
    done = asyncio.Event()

    async def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    results = await asyncio.gather(*(upload(port, path, headers, chunked) for path, headers in UPLOADS))
    done.set()
    await watcher
    return peak, [(path, status, sent) for (path, _), (status, sent) in zip(UPLOADS, results, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="The checkout whose server to run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, **ENV, "POOL_DATABASE": str(Path(folder) / "pool.db"), "POOL_ADMIN_TOKEN": TOKEN}
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--port", str(port)],
            cwd=args.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert server.stdout is not None
        log: list[str] = []
        for line in server.stdout:
            if "Application startup complete" in line:
                break
        time.sleep(1)
        idle = rss_mb(server.pid)
        print(f"server {args.root}: idle RSS {idle:.0f} MB")
        try:
            for n in range(args.rounds):
                for chunked in (False, True):
                    peak, results = asyncio.run(round_of_uploads(port, server.pid, chunked))
                    how = "streamed (chunked)" if chunked else "declared Content-Length"
                    print(f"round {n + 1}, six 40 MB uploads, {how}: peak RSS {peak:.0f} MB")
                    for path, status, sent in results:
                        wrote = f"client wrote {sent / 1024 / 1024:5.1f} MB before the server closed"
                        print(f"  {path:<18} {status:<36} {wrote}")
            time.sleep(1)
            print(f"after: RSS {rss_mb(server.pid):.0f} MB")
        finally:
            server.send_signal(signal.SIGTERM)
            out, _ = server.communicate(timeout=60)
            log = out.splitlines()
        tracebacks = sum("Traceback" in line for line in log)
        print(f"server log: {len(log)} lines after start-up; {tracebacks} tracebacks")
        for line in log[:8]:
            print(f"  {line[:150]}")


if __name__ == "__main__":
    main()
