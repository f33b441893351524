"""Settings from the environment and the pool's default data (signposting, phrase lists)."""

from config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
