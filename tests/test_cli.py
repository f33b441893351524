"""The command line as a newcomer uses it: seed, post a session, answer it in the sandbox chat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import LONDON
from tests.harness import database_for

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("POOL_", "TWILIO_", "SLACK_", "TELEGRAM_"))
    }
    env["POOL_DATABASE"] = str(database_for(tmp_path))  # the folder's file, or its PostgreSQL database
    # These run on the real clock: quiet hours would hold offers depending on the time of day.
    env["POOL_QUIET_HOURS"] = "off"
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
    assert "Added 26 members" in seeded.stdout
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


def test_a_coordinator_runs_a_week_from_the_cli(tmp_path: Path) -> None:
    (tmp_path / "practices.csv").write_text(
        "ods_code,name,pcn,locality,address,clinical_system,info_pack\nX30001,Brook Lane Surgery,East PCN,Eastfield,2 Brook Lane,EMIS Web,\n"
    )
    (tmp_path / "members.csv").write_text(
        "name,phone,roles,gp_type,registration_number,preferred_channel\n"
        "Dr Ann Lee,07700 900201,gp,locum,GMC 7012345,sandbox\nCarol Coordinator,07700 900203,coordinator,,,sandbox\n"
    )
    checks = "phone,check,expires\n" + "".join(
        f"07700 900201,{kind},\n"
        for kind in (
            "identity",
            "cct",
            "indemnity",
            "occupational_health",
            "performers_list",
            "gmc",
            "employment_history",
            "dbs",
        )
    )
    (tmp_path / "checks.csv").write_text(checks)
    day = (datetime.now(LONDON) + timedelta(days=2)).date()
    (tmp_path / "sessions.csv").write_text(
        f"practice,start,end,rate_pence,urgent,notes,repeat_weeks\nX30001,{day}T08:30,{day}T12:30,32000,no,,2\n"
    )
    for kind in ("practices", "members", "checks", "sessions"):
        result = run(tmp_path, "import", kind, str(tmp_path / f"{kind}.csv"))
        assert result.returncode == 0, result.stderr
    sessions = run(tmp_path, "export", "sessions").stdout.splitlines()
    assert len(sessions) == 3
    code = dict(zip(sessions[0].split(","), sessions[1].split(","), strict=True))["code"]
    booked = run(tmp_path, "book", code, "07700 900201", "--as", "07700 900203")
    assert booked.returncode == 0 and booked.stdout.startswith(f"Booked: session {code}")
    report = run(tmp_path, "report", "--json")
    figures = json.loads(report.stdout)
    assert figures["sessions_posted"] == 2 and figures["sessions_filled"] == 1 and figures["gps_engaged"] == 1
    refused = run(tmp_path, "cancel", code, "--as", "07700 900201")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "error: Sorry, you can only do that for your own practice's sessions."


def test_a_bad_import_lists_every_line_and_imports_nothing(tmp_path: Path) -> None:
    (tmp_path / "members.csv").write_text("name,phone\nDr Fine,07700 900401\n,07700 900402\nDr Bad,123\n")
    result = run(tmp_path, "import", "members", str(tmp_path / "members.csv"))
    assert result.returncode == 2
    assert result.stderr.splitlines()[:2] == [
        "line 3: name is empty",
        "line 4: phone '123' is not a valid phone number",
    ]
    assert run(tmp_path, "export", "members").stdout.splitlines()[1:] == []
