"""The conversation itself: every inbound message routed, texts rendered from templates,
lists, answer codes, and what an undelivered message needs."""
