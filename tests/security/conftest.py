"""The security suite reuses the authorisation sweep's world: two partnerships, every role."""

from __future__ import annotations

from tests.test_authorisation import world  # noqa: F401  (fixture)
