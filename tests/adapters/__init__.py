"""The channels, faked at the HTTP boundary (adapters/, bot/outbox.py)."""
