"""UK phone numbers, read as people write them and kept in E.164."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

# Ofcom keeps 07700 900000 to 900999 for drama and testing. phonenumbers calls them invalid
# (no network serves them), but they are the right numbers for demos, training and tests.
_OFCOM_DRAMA = ("+447700900",)


@lru_cache(maxsize=8192)  # the same people write again and again; parsing is the slow part
def to_e164(text: str, region: str = "GB") -> str:
    """'07700 900123' → '+447700900123'. ValueError for anything that is not a valid number."""
    if not text.strip():
        raise ValueError("empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    drama = e164.startswith(_OFCOM_DRAMA) and len(e164) == 13
    if not (phonenumbers.is_valid_number(number) or drama):
        raise ValueError("not a valid phone number")
    return e164


def national(phone: str) -> str:
    """'+447700900123' → '07700 900123', as people in the UK write it."""
    try:
        number = phonenumbers.parse(phone, "GB")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def masked(phone: str) -> str:
    """For logs: '+4477…23'. Logs never carry a phone number in full."""
    return phone[:5] + "…" + phone[-2:] if len(phone) > 7 else "…"
