"""The pool's settings, read from environment variables (DESIGN.md's contract).

A channel is on when all of its credentials are set and off when none are; a partial set, or
any invalid value, stops start-up with one line naming the variable.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

from pydantic import AnyHttpUrl, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.calendar import quiet_window
from bot.phones import to_e164


class ConfigError(Exception):
    """A setting that stops start-up; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # A SQLite file's path, or a postgresql:// URL (then several `serve` workers may share it).
    # A str, not a Path: a Path turns postgresql://u:p@h/db into postgresql:/u:p@h/db.
    pool_database: str = Field(default="data/pool.db", repr=False)
    pool_public_url: AnyHttpUrl = Field(default=AnyHttpUrl("http://localhost:8000"))
    pool_admin_token: str | None = None
    pool_sandbox: Literal["on", "off"] = "on"
    pool_name: str = "the GP pool"

    # Offers: routine sessions go in waves of this size, the next after this many minutes.
    pool_wave_size: int = Field(default=5, ge=1, le=1000)
    pool_wave_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Messages' bodies are deleted after this many days (the message rows stay for the figures).
    pool_message_retention_days: int = Field(default=90, ge=1, le=3650)
    # A leaver's check evidence (uploaded documents) is deleted this many months after they left.
    pool_evidence_months: int = Field(default=6, ge=1, le=120)
    # Pay: a session's rate whatever the hours, or pro rata to the hours worked; worked out once
    # when the practice signs the hours off. Mileage in pence a mile (HMRC's approved 45p).
    pool_pay: Literal["session", "pro_rata"] = "session"
    pool_mileage_pence: int = Field(default=45, ge=1, le=1000)
    # Hours not signed off this many days after they were reported: the practice is reminded
    # once; as long again, and the coordinators are told.
    pool_signoff_days: int = Field(default=3, ge=1, le=60)
    # Invoices are due this many days after they are issued.
    pool_invoice_days: int = Field(default=30, ge=1, le=120)
    # The named wellbeing lead (a member's phone): the only person who hears about distress.
    pool_wellbeing_lead: str | None = None
    # SMS "this session has been filled" costs money; chat channels edit for free.
    pool_filled_sms: bool = False
    # How often the timer loop looks for due work written by another process (the CLI).
    pool_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    # How long a worker holds the messages and timers it has claimed. One that stops mid-send
    # leaves them to another worker (or the next start) once this runs out; they may go twice.
    pool_claim_lease_seconds: float = Field(default=120.0, ge=1, le=3600)
    # The report: when the pool went live (default: its first session) and its set-up budget.
    pool_live_date: date | None = None
    pool_setup_budget_pence: int = Field(default=12_000_000, ge=0)

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: AnyHttpUrl = Field(default=AnyHttpUrl("https://api.twilio.com"))
    # Messages a second from the pool's sender: Twilio's UK long-code default is 10.
    pool_sms_per_second: float = Field(default=10.0, gt=0, le=1000)
    # WhatsApp (in progress): the WhatsApp-enabled sender in the same Twilio account, E.164 with
    # or without "whatsapp:"; its own pace (Twilio's default for one WhatsApp sender is 80/s).
    twilio_whatsapp_from: str | None = None
    pool_whatsapp_per_second: float = Field(default=80.0, gt=0, le=1000)

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_base: AnyHttpUrl = Field(default=AnyHttpUrl("https://slack.com/api/"))
    # Slack messages a second overall (Slack allows about one a second in each conversation,
    # with a workspace-wide limit it does not publish; 429s are waited out either way).
    pool_slack_per_second: float = Field(default=10.0, gt=0, le=1000)
    # Offers: a routine offer stays open this many hours; urgent offers close this many
    # minutes before the start.
    pool_offer_hours: float = Field(default=2.0, gt=0, le=24 * 7)
    pool_urgent_close_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # Escalation: still unfilled this many hours before the start, the poster is alerted; at
    # the second, the next named coordinator (POOL_ESCALATION_CONTACTS, phones in order;
    # default every coordinator).
    pool_escalate_hours: str = "24,4"
    pool_escalation_contacts: str | None = None
    # Quiet hours, London time: nothing routine is sent inside them.
    pool_quiet_hours: str = "21:00-07:30"
    # Peer groups: a member who has not come to a session in this many weeks is told of the
    # next ones, at most once a month (0: never).
    pool_nudge_weeks: int = Field(default=8, ge=0, le=104)
    # The rate a new session's form starts with (whole session, pence).
    pool_default_rate_pence: int = Field(default=32_000, ge=0)
    # Strangers: at most this many replies an hour to numbers the pool does not know (each
    # gets at most one a day, and by text only a UK mobile); more than ..._ALERT_NUMBERS
    # unknown numbers within ..._ALERT_MINUTES is a flood: one alert to the coordinators.
    pool_unknown_replies_per_hour: int = Field(default=100, ge=0, le=100_000)
    # Routine offers to one person decided within this many seconds go as one message (0: off).
    pool_batch_seconds: int = Field(default=120, ge=0, le=3600)
    # Professions renamed by key, 'physician_associate=physician assistant' (config/professions.toml).
    pool_profession_titles: str | None = None
    pool_unknown_alert_numbers: int = Field(default=50, ge=1, le=100_000)
    pool_unknown_alert_minutes: int = Field(default=10, ge=1, le=24 * 60)

    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base: AnyHttpUrl = Field(default=AnyHttpUrl("https://api.telegram.org"))

    @property
    def database_is_postgres(self) -> bool:
        return self.pool_database.startswith(("postgresql://", "postgres://"))

    @property
    def database(self) -> str:
        """POOL_DATABASE as it may be printed or logged: a URL without its password."""
        return redact_url(self.pool_database)

    def __repr_args__(self):  # type: ignore[no-untyped-def]
        # The database's URL may hold a password: repr(settings) shows it redacted.
        yield "pool_database", self.database
        yield from super().__repr_args__()

    @field_validator("pool_profession_titles")
    @classmethod
    def _titles(cls, value: str | None) -> str | None:
        from config.professions import load_professions

        known = load_professions().keys
        for pair in (value or "").split(","):
            key, equals, title = pair.partition("=")
            if pair.strip() and (not equals or key.strip() not in known or not title.strip()):
                raise ValueError(
                    f"'{pair.strip()}' is not profession=title with a profession of {', '.join(known)}"
                )
        return value

    @field_validator("pool_escalate_hours")
    @classmethod
    def _two_steps(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",")]
        try:
            first, second = (float(p) for p in parts)
        except ValueError:
            raise ValueError("give two numbers of hours before the start, like 24,4") from None
        if not first > second > 0:
            raise ValueError("the first step comes before the second: like 24,4") from None
        return value

    @field_validator("pool_escalation_contacts")
    @classmethod
    def _phones(cls, value: str | None) -> str | None:
        for phone in (value or "").split(","):
            if phone.strip():
                try:
                    to_e164(phone)
                except ValueError as error:
                    raise ValueError(f"{phone.strip()} is {error}") from None
        return value

    @field_validator("twilio_whatsapp_from")
    @classmethod
    def _whatsapp_from(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return value
        number = value.strip()
        if number.lower().startswith("whatsapp:"):
            number = number[len("whatsapp:") :]
        try:
            return to_e164(number)
        except ValueError as error:
            raise ValueError(f"{value.strip()} is {error} (give the WhatsApp sender as +44...)") from None

    @field_validator("pool_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value.strip().lower() != "off":
            quiet_window(value)
        return value

    @property
    def escalate_hours(self) -> tuple[float, float]:
        first, second = (float(p) for p in self.pool_escalate_hours.split(","))
        return first, second

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        if self.pool_quiet_hours.strip().lower() == "off":
            return None
        return quiet_window(self.pool_quiet_hours)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `export SLACK_BOT_TOKEN=` means "not set", as it does for most tools.
        if isinstance(value, str) and value.strip() == "":
            return None
        return value

    @property
    def public_url(self) -> str:
        return str(self.pool_public_url).rstrip("/")

    @property
    def sandbox_on(self) -> bool:
        return self.pool_sandbox == "on"

    @property
    def twilio_on(self) -> bool:
        if self.twilio_whatsapp_from and not (self.twilio_from_number or self.twilio_messaging_service_sid):
            return False  # the account's credentials are there for WhatsApp alone
        return _channel_state(
            "Twilio",
            {
                "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
                "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
                "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID": self.twilio_from_number
                or self.twilio_messaging_service_sid,
            },
        )

    @property
    def whatsapp_on(self) -> bool:
        """On with the account's credentials and a WhatsApp sender; the SMS sender is not needed."""
        if not self.twilio_whatsapp_from:
            return False
        return _channel_state(
            "WhatsApp",
            {
                "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
                "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
                "TWILIO_WHATSAPP_FROM": self.twilio_whatsapp_from,
            },
        )

    @property
    def slack_on(self) -> bool:
        return _channel_state(
            "Slack",
            {
                "SLACK_BOT_TOKEN": self.slack_bot_token,
                "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            },
        )

    @property
    def telegram_on(self) -> bool:
        return _channel_state(
            "Telegram",
            {
                "TELEGRAM_BOT_TOKEN": self.telegram_bot_token,
                "TELEGRAM_WEBHOOK_SECRET": self.telegram_webhook_secret,
            },
        )

    @property
    def channels_on(self) -> tuple[str, ...]:
        flags = {
            "sms": self.twilio_on,
            "whatsapp": self.whatsapp_on,
            "slack": self.slack_on,
            "telegram": self.telegram_on,
            "sandbox": self.sandbox_on,
        }
        return tuple(name for name, on in flags.items() if on)


def _url_parts(target: str) -> tuple[str, str | None, str] | None:
    """``(scheme://, userinfo, the rest)`` of a URL split where libpq splits it; None for a path.

    libpq takes as the user info whatever precedes an ``@`` met before any ``/``, so a raw ``#``
    or ``?`` in a password is still the password (urllib ends the host part there instead). Where
    libpq misreads a password, its text is still treated as one: a raw ``@`` (up to the last
    ``@`` before the host's end) or a raw ``/`` (``u:pa/ss@h``: a "port" that is not one)."""
    scheme, sep, rest = target.partition("://")
    if not sep or not scheme or "/" in scheme:
        return None
    first_at = rest.find("@")
    if first_at < 0:
        return scheme + sep, None, rest
    first_slash = rest.find("/")
    if first_slash < 0 or first_at < first_slash:
        ends = [i for i in (rest.find("/", first_at), rest.find("?", first_at)) if i >= 0]
        end = rest.rfind("@", 0, min(ends, default=len(rest)))
    else:
        _host, colon, port = rest[:first_slash].rpartition(":")
        query = rest.find("?")
        end = rest.rfind("@", 0, query if query >= 0 else len(rest))
        if not colon or port.endswith("]") or all(c.isdigit() or c == "," for c in port):
            end = -1  # host:port/dbname, with an '@' in the dbname or the parameters
    if end < 0:
        return scheme + sep, None, rest
    return scheme + sep, rest[:end], rest[end + 1 :]


def _query(rest: str) -> list[tuple[str, str | None]]:
    _, question, query = rest.partition("?")
    if not question:
        return []
    return [(key, value if eq else None) for key, eq, value in (p.partition("=") for p in query.split("&"))]


def redact_url(target: str) -> str:
    """A database URL with its password replaced by ***, wherever it is (user info or a
    ``password=`` parameter); the user, host, port, database and other parameters stay readable.
    A path (or a URL without a password) comes back as it is."""
    parts = _url_parts(target)
    if parts is None:
        return target
    prefix, userinfo, rest = parts
    shown = prefix
    if userinfo is not None:
        user, colon, _password = userinfo.partition(":")
        shown += f"{user}:***@" if colon else f"{user}@"
    location, question, _ = rest.partition("?")
    shown += location
    if question:
        shown += "?" + "&".join(
            key
            if value is None
            else f"{key}=***"
            if unquote(key).strip().lower() == "password"
            else f"{key}={value}"
            for key, value in _query(rest)
        )
    if any(password in shown[len(prefix) :] for password in database_passwords(target)):
        return _rebuilt(target, prefix)  # a form the text split missed: as libpq reads it, without it
    return shown


def _rebuilt(target: str, prefix: str) -> str:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(target)
    except ProgrammingError:
        return f"{prefix}*** (an unreadable URL)"
    user = quote(info.pop("user", "") or "", safe="")
    userinfo = f"{user}:***@" if info.pop("password", None) else f"{user}@" if user else ""
    host, port, dbname = (str(info.pop(key, "") or "") for key in ("host", "port", "dbname"))
    shown = (
        f"{prefix}{userinfo}{quote(host, safe=',:[]')}{':' + port if port else ''}/{quote(dbname, safe='')}"
    )
    params = "&".join(f"{key}={quote(str(value), safe='')}" for key, value in info.items())
    return f"{shown}?{params}" if params else shown


def database_passwords(target: str) -> list[str]:
    """Every form of the password a database URL carries, longest first ([] for none, or a path),
    for log filters: as libpq reads it (percent-decoded) and as written in the URL."""
    parts = _url_parts(target)
    if parts is None:
        return []
    _, userinfo, rest = parts
    written = [value for key, value in _query(rest) if value and unquote(key).strip().lower() == "password"]
    if userinfo is not None and ":" in userinfo:
        written.append(userinfo.partition(":")[2])
    found = set(written) | {unquote(w) for w in written}
    from psycopg import ProgrammingError  # a declared dependency; imported only for a URL
    from psycopg.conninfo import conninfo_to_dict

    with contextlib.suppress(ProgrammingError):  # not one libpq reads: the text's forms are all there is
        found.add(str(conninfo_to_dict(target).get("password") or ""))
    return sorted((p for p in found if p), key=lambda p: (-len(p), p))


def database_password(target: str) -> str:
    """The password a database URL carries ('' for none, or a path): the longest of its forms."""
    found = database_passwords(target)
    return found[0] if found else ""


def _channel_state(provider: str, credentials: dict[str, str | None]) -> bool:
    missing = [name for name, value in credentials.items() if not value]
    if not missing:
        return True
    if len(missing) == len(credentials):
        return False
    raise ConfigError(
        f"{provider} is partly configured: set {', '.join(missing)} (or unset all of its "
        "credentials to turn it off)"
    )


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and check the settings; a problem raises ConfigError with one line."""
    env = dict(os.environ if environ is None else environ)
    try:
        settings = Settings(_env_file=None, **_from(env))  # type: ignore[call-arg]
    except ValidationError as error:
        first = error.errors()[0]
        variable = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise ConfigError(f"{variable}: {first['msg']}") from None
    # Validate the channel rules now, so a partial set stops start-up.
    settings.channels_on  # noqa: B018
    return settings


def _from(env: dict[str, str]) -> dict[str, str]:
    names = {name.upper() for name in Settings.model_fields}
    return {key.lower(): value for key, value in env.items() if key.upper() in names}


@dataclass(frozen=True)
class AdminToken:
    value: str
    generated: bool
    path: Path | None


def admin_token(settings: Settings) -> AdminToken:
    """The JSON API's bearer token: from POOL_ADMIN_TOKEN, else kept beside the database.

    As Jupyter does, a token is generated at first start and printed; it is stored with
    owner-only permissions so later starts (and the CLI) use the same one.
    """
    if settings.pool_admin_token:
        return AdminToken(settings.pool_admin_token, generated=False, path=None)
    if settings.database_is_postgres:  # no folder to keep one in, and every worker needs the same
        raise ConfigError("POOL_ADMIN_TOKEN must be set when POOL_DATABASE is a postgresql:// URL")
    path = Path(settings.pool_database).parent / "admin_token"
    if path.exists():
        return AdminToken(path.read_text().strip(), generated=False, path=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return AdminToken(value, generated=True, path=path)
