"""`python main.py serve` on its embedded defaults: starts, answers, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_on_defaults_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("POOL_", "TWILIO_", "SLACK_", "TELEGRAM_"))
    }
    env["POOL_DATABASE"] = str(tmp_path / "pool.db")
    server = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = []
        assert server.stdout is not None
        for line in server.stdout:  # blocks until the server says it is ready; no sleeping
            output.append(line)
            if "Uvicorn running on" in line:  # after the startup, once the socket listens
                break
        assert server.poll() is None, "".join(output)
        token = (tmp_path / "admin_token").read_text().strip()
        assert any(token in line for line in output), "a generated token is printed, as Jupyter does"
        assert any(line.startswith("Warning: no wellbeing lead: POOL_WELLBEING_LEAD") for line in output), (
            "a pool with nobody to hear of a crisis is told so at start"
        )
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base}/sandbox/outbox", params={"to": "07700900001"}).status_code == 401
        ok = httpx.get(
            f"{base}/sandbox/outbox",
            params={"to": "07700900001"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert ok.status_code == 200 and ok.json()["messages"] == []
    finally:
        server.send_signal(signal.SIGTERM)
        rest = server.communicate(timeout=30)[0]
    # uvicorn finishes its graceful shutdown, then re-raises SIGTERM so the exit status says why.
    assert server.returncode in (0, -signal.SIGTERM), rest
    assert "Application shutdown complete" in rest
    assert "Traceback" not in rest
