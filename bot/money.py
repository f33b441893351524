"""Money as people type it: '£1,250.50', '1250.5', '300'."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def pence(text: str) -> int:
    """Pounds written any usual way, in whole pence. ValueError for anything else."""
    cleaned = text.strip().replace("£", "").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount of money") from None
    if not amount.is_finite():
        raise ValueError(f"'{text}' is not an amount of money")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"'{text}' has fractions of a penny")
    return int(amount * 100)


def pounds(pence: int) -> str:
    """'320' or '320.50', as a form shows an amount for editing."""
    whole, rest = divmod(pence, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}"
