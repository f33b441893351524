"""The store: migrations, the port per area, durability (storage/)."""
