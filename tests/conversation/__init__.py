"""Reading replies and the texts sent (flows/conversation/, bot/replies.py)."""
