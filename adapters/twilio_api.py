"""What SMS and WhatsApp share of a refusal from Twilio's Messages API: its error code and
message from the body, transient failures (429, 5xx) to retry, and Retry-After."""

from __future__ import annotations

import httpx

from bot.ports import RetryLater


def refusal(response: httpx.Response) -> tuple[str, str]:
    """(Twilio's error code, or "", its message or the HTTP status) from a refused request's
    body, whatever shape it has."""
    try:
        detail = response.json()
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    return str(detail.get("code") or ""), str(detail.get("message") or response.status_code)


def transient(response: httpx.Response, code: str) -> RetryLater | None:
    """A 429 or 5xx: try again later (after Twilio's Retry-After when it gives one)."""
    if response.status_code == 429 or response.status_code >= 500:
        reason = f"Twilio {response.status_code}" + (f" error {code}" if code else "")
        return RetryLater(reason, after=retry_after(response))
    return None


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
