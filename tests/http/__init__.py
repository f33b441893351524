"""The HTTP surface and what a stranger can do to it (bot/http.py, bot/api.py)."""
