"""Errors a command can answer with; the API and CLI turn them into a clear reply."""


class Refused(Exception):
    """The request is understood but not allowed or not possible; nothing changed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
