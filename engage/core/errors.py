"""Domain errors: operations raise them, views turn them into form errors or messages."""

from __future__ import annotations


class EngageError(Exception):
    """A domain rule was broken; the message is already translated for the user.

    ``field`` names the form field the message belongs to, where there is one.
    """

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(EngageError):
    """The user may not do this to this record."""


class ImportFailed(EngageError):
    """An all-or-nothing import found bad rows; nothing was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the file")  # never shown as is
        self.errors = errors


class RowError:
    """One problem in one row of an uploaded file (row 1 is the header)."""

    __slots__ = ("column", "message", "row")

    def __init__(self, row: int, column: str | None, message: str) -> None:
        self.row = row
        self.column = column
        self.message = message

    def __repr__(self) -> str:
        return f"RowError(row={self.row}, column={self.column!r}, message={self.message!r})"
