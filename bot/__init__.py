"""The core of the pool bot: domain types, the conversation engine, the outbox, time."""
