"""Job handlers by name: `@job_handler("domain.thing")` registers a function.

A handler named "<domain>.<thing>" that is not registered yet is looked for in the module
`engage.<domain>.jobs` (so worker processes find every domain's handlers without a list to
keep), then in the modules named in `ENGAGE_JOB_MODULES` (comma-separated; tests use it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engage.jobs.context import JobContext

Handler = Callable[["JobContext", dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class JobType:
    name: str
    handler: Handler
    # Shown as the status page's heading (a lazy translated string), and labels for the
    # message codes the handler passes to ctx.progress(..., message=code).
    title: Any = None
    messages: Mapping[str, Any] = field(default_factory=dict)
    # How many times a job interrupted by a dying worker is started again on its own.
    max_attempts: int = 3
    # RQ's time limit for one attempt, in seconds.
    timeout: int = 3600


_registry: dict[str, JobType] = {}


class UnknownJob(LookupError):
    """No handler is registered under this name."""


def job_handler(
    name: str,
    *,
    title: Any = None,
    messages: Mapping[str, Any] | None = None,
    max_attempts: int = 3,
    timeout: int = 3600,
) -> Callable[[Handler], Handler]:
    """Register a function as the handler for jobs called `name`.

    The handler takes (ctx, payload) and returns a JSON-able dict (the job's result) or None.
    Its database work runs in one transaction that the runner commits together with the
    job's success, so a job killed part-way leaves nothing behind and can simply run again.
    """

    def register(function: Handler) -> Handler:
        _registry[name] = JobType(
            name=name,
            handler=function,
            title=title,
            messages=dict(messages or {}),
            max_attempts=max_attempts,
            timeout=timeout,
        )
        return function

    return register


def _import_candidates(name: str) -> list[str]:
    modules = []
    domain = name.split(".", 1)[0]
    if domain.isidentifier():
        modules.append(f"engage.{domain}.jobs")
    extra = os.environ.get("ENGAGE_JOB_MODULES", "")
    modules.extend(m.strip() for m in extra.split(",") if m.strip())
    return modules


def get_job_type(name: str) -> JobType:
    """The registered job type, importing the domain's jobs module if need be."""
    if name in _registry:
        return _registry[name]
    for module in _import_candidates(name):
        try:
            spec = find_spec(module)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            import_module(module)
        if name in _registry:
            return _registry[name]
    raise UnknownJob(name)


def registered_names() -> list[str]:
    return sorted(_registry)
