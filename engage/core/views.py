"""The one transaction pattern every form view uses: run the operation, commit or explain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash

from engage.core.errors import EngageError
from engage.extensions import db

T = TypeVar("T")


def add_form_error(form: Any, error: EngageError, default_field: str) -> None:
    """Show a domain error on the field it names (or the default field)."""
    field = getattr(form, error.field or default_field, None) or getattr(form, default_field)
    field.errors = [*field.errors, str(error)]


def commit_operation(
    form: Any, operation: Callable[[], T], *, field: str, success: str | None = None
) -> T | None:
    """Run an operation; commit and flash on success, or roll back and show the error on the form.

    The view owns the transaction: operations flush, this commits once.
    """
    try:
        result = operation()
    except EngageError as error:
        db.session.rollback()
        add_form_error(form, error, field)
        return None
    db.session.commit()
    if success:
        flash(success, "success")
    return result
