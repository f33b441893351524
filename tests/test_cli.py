"""The command line as a newcomer uses it: seed, post a session, answer it in the sandbox chat."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import LONDON

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("POOL_", "TWILIO_", "SLACK_", "TELEGRAM_"))
    }
    env["POOL_DATABASE"] = str(tmp_path / "pool.db")
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_seed_post_and_chat(tmp_path: Path) -> None:
    seeded = run(tmp_path, "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "Added 23 members" in seeded.stdout
    assert "Added 0 members" in run(tmp_path, "seed").stdout, "seeding twice adds nobody twice"

    day = (datetime.now(LONDON) + timedelta(days=3)).date()
    posted = run(
        tmp_path,
        "post-session",
        "--practice",
        "x20002",
        "--start",
        f"{day}T13:30",
        "--end",
        f"{day}T17:30",
        "--rate-pence",
        "32321",
        "--urgent",
        "--as",
        "07700 900001",
    )
    assert posted.returncode == 0, posted.stderr
    assert posted.stdout.startswith("Posted session ") and "status open" in posted.stdout

    chat = run(tmp_path, "chat", "--as", "07700 900113", stdin="yes please\n")
    assert chat.returncode == 0, chat.stderr
    assert "Sandbox chat as Dr Maya Patel" in chat.stdout
    assert "URGENT: GP session at Meadowbank Practice" in chat.stdout
    assert "Booked: Meadowbank Practice" in chat.stdout


def test_post_session_refuses_clearly(tmp_path: Path) -> None:
    refused = run(
        tmp_path,
        "post-session",
        "--practice",
        "NOPE",
        "--start",
        "2030-01-01T09:00",
        "--end",
        "2030-01-01T13:00",
        "--rate-pence",
        "1000",
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == "error: No practice has the ODS code NOPE."


def test_chat_refuses_a_bad_number(tmp_path: Path) -> None:
    result = run(tmp_path, "chat", "--as", "12")
    assert result.returncode == 2 and "not a" in result.stderr
