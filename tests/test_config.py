"""Settings from the environment: channels on, off or refused when partial; one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.settings import admin_token

ROOT = Path(__file__).resolve().parent.parent


def test_embedded_defaults_need_no_credentials() -> None:
    settings = load_settings({})
    assert settings.channels_on == ("sandbox",)
    assert str(settings.pool_database) == "data/pool.db"
    assert settings.public_url == "http://localhost:8000"


def test_a_channel_with_all_its_credentials_is_on() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": "AC123",
        "TWILIO_AUTH_TOKEN": "secret",
        "TWILIO_MESSAGING_SERVICE_SID": "MG123",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "POOL_SANDBOX": "off",
    }
    assert load_settings(env).channels_on == ("sms", "telegram")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN"),
        (
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "x"},
            "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID",
        ),
        ({"SLACK_SIGNING_SECRET": "x"}, "SLACK_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "1:a"}, "TELEGRAM_WEBHOOK_SECRET"),
    ],
)
def test_a_partial_channel_stops_start_up_naming_what_is_missing(env: dict, named: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert named in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"POOL_WAVE_SIZE": "lots"}, "POOL_WAVE_SIZE"),
        ({"POOL_PUBLIC_URL": "not a url"}, "POOL_PUBLIC_URL"),
        ({"POOL_SANDBOX": "maybe"}, "POOL_SANDBOX"),
        ({"TWILIO_API_BASE": "ftp//x"}, "TWILIO_API_BASE"),
    ],
)
def test_an_invalid_value_is_one_line_naming_the_variable(env: dict, variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert str(error.value).startswith(f"{variable}:")
    assert "\n" not in str(error.value)


def test_blank_values_count_as_unset() -> None:
    assert load_settings({"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": " "}).channels_on == ("sandbox",)


def test_the_admin_token_is_generated_once_kept_beside_the_database(tmp_path: Path) -> None:
    settings = load_settings({"POOL_DATABASE": str(tmp_path / "db" / "pool.db")})
    first = admin_token(settings)
    again = admin_token(settings)
    assert first.generated and not again.generated
    assert first.value == again.value and len(first.value) >= 32
    assert first.path == tmp_path / "db" / "admin_token"
    assert oct(first.path.stat().st_mode & 0o777) == "0o600"
    given = admin_token(load_settings({"POOL_ADMIN_TOKEN": "mine", "POOL_DATABASE": str(tmp_path / "x.db")}))
    assert given.value == "mine" and not given.generated


def test_the_cli_prints_one_line_and_exits_2_on_a_bad_setting(tmp_path: Path) -> None:
    env = {**os.environ, "POOL_DATABASE": str(tmp_path / "p.db"), "SLACK_BOT_TOKEN": "xoxb-1"}
    result = subprocess.run(
        [sys.executable, "main.py", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: Slack is partly configured: set SLACK_SIGNING_SECRET")


def test_time_settings_are_checked_with_a_clear_line() -> None:
    for variable, value in (
        ("POOL_QUIET_HOURS", "late"),
        ("POOL_ESCALATE_HOURS", "4,24"),
        ("POOL_ESCALATION_CONTACTS", "07700 900001, 12"),
    ):
        with pytest.raises(ConfigError) as raised:
            load_settings({variable: value})
        assert str(raised.value).startswith(variable), str(raised.value)
    assert load_settings({"POOL_QUIET_HOURS": "off"}).quiet_hours is None


def test_the_database_is_a_path_or_a_postgresql_url_kept_as_given(tmp_path: Path) -> None:
    assert load_settings({"POOL_DATABASE": str(tmp_path / "pool.db")}).pool_database == str(
        tmp_path / "pool.db"
    )
    url = "postgresql://pool:s3cret-pw@db.internal:5432/pool?sslmode=require"
    settings = load_settings({"POOL_DATABASE": url, "POOL_ADMIN_TOKEN": "t"})
    assert settings.pool_database == url, "not mangled as a Path would (postgresql:/...)"
    assert settings.database_is_postgres
    assert load_settings({"POOL_DATABASE": "postgres://h/db"}).database_is_postgres


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("postgresql://pool:s3cret-pw@db:5432/pool", "postgresql://pool:***@db:5432/pool"),
        (
            "postgresql://pool@db/pool?password=s3cret-pw&sslmode=require",
            "postgresql://pool@db/pool?password=***&sslmode=require",
        ),
        ("postgresql://db/pool", "postgresql://db/pool"),
        ("data/pool.db", "data/pool.db"),
        # libpq reads the user info up to an '@' met before any '/': urllib stops at '#' or '?'.
        ("postgresql://pool:s3cret#pw@db/pool", "postgresql://pool:***@db/pool"),
        (
            "postgresql://pool:s3cret?pw@db:5432/pool?sslmode=require",
            "postgresql://pool:***@db:5432/pool?sslmode=require",
        ),
        ("postgresql://pool:s3cret%23pw@db/pool", "postgresql://pool:***@db/pool"),
        ("postgresql://pool:s3cret%40pw@db/pool", "postgresql://pool:***@db/pool"),
        ("postgresql://pool:s3cret%2Fpw@db/pool", "postgresql://pool:***@db/pool"),
        # Raw '@' and '/', which libpq misreads: still never shown.
        ("postgresql://pool:s3cret@pw@db/pool", "postgresql://pool:***@db/pool"),
        ("postgresql://pool:s3cret/pw@db/pool", "postgresql://pool:***@db/pool"),
        (
            "postgresql://pool@db:5432/pool?sslmode=require&password=s3cret%23pw&application_name=a@b",
            "postgresql://pool@db:5432/pool?sslmode=require&password=***&application_name=a@b",
        ),
        ("postgres://pool:s3cret#pw@h1:5432,h2:5433/pool", "postgres://pool:***@h1:5432,h2:5433/pool"),
        ("postgresql://db:5432/my@pool", "postgresql://db:5432/my@pool"),
    ],
)
def test_the_database_password_is_never_shown(target: str, shown: str) -> None:
    from config.settings import database_passwords

    settings = load_settings({"POOL_DATABASE": target, "POOL_ADMIN_TOKEN": "t"})
    assert settings.database == shown
    for text in (repr(settings), str(settings), settings.database):
        assert "s3cret" not in text and "pw@" not in text, text
    if "s3cret" in target:  # the log filter hides it as written and as libpq reads it
        assert all("s3cret" in password for password in database_passwords(target))
        assert any(password in target for password in database_passwords(target))
    else:
        assert database_passwords(target) == []


def test_the_logs_never_carry_the_database_password() -> None:
    import logging

    from adapters.cli.common import Redact
    from config.settings import database_password, database_passwords

    url = "postgresql://pool:s3cret-pw@db:5432/pool"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "could not connect to %s", (url,), None)
    Redact([database_password(url)]).filter(record)
    assert "s3cret-pw" not in record.getMessage()
    assert database_password("postgresql://pool:s3cret#pw@db/pool") == "s3cret#pw", "not '' as urllib read it"

    url = "postgresql://pool:s3cret%23pw@db/pool"  # libpq sends 's3cret#pw'; the URL shows '%23'
    message = f"could not connect to {url} as pool with s3cret#pw"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, message, None, None)
    Redact(database_passwords(url)).filter(record)
    assert "s3cret" not in record.getMessage()


def test_with_postgresql_the_admin_token_must_be_given() -> None:
    settings = load_settings({"POOL_DATABASE": "postgresql://pool:pw@db/pool"})
    with pytest.raises(ConfigError) as error:
        admin_token(settings)
    assert "POOL_ADMIN_TOKEN" in str(error.value) and "\n" not in str(error.value)
    given = admin_token(
        load_settings({"POOL_DATABASE": "postgresql://pool:pw@db/pool", "POOL_ADMIN_TOKEN": "mine"})
    )
    assert given.value == "mine" and given.path is None


def test_serve_on_postgresql_without_an_admin_token_stops_with_one_line() -> None:
    env = {**os.environ, "POOL_DATABASE": "postgresql://pool:s3cret-pw@127.0.0.1:1/pool"}
    env.pop("POOL_ADMIN_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "main.py", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: POOL_ADMIN_TOKEN must be set")
    assert "s3cret-pw" not in result.stderr + result.stdout
