"""The dataset import as a background job (engage.jobs runs it; RQ workers find it here)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from engage.intelligence.importer import run_import
from engage.jobs import JobContext, job_handler

IMPORT_JOB = "intelligence.import_dataset"


def dataset_path(slug: str, dataset_id: int) -> str:
    """The dataset page's path, built without a request (jobs run outside one)."""
    adapter = current_app.url_map.bind("localhost")
    return str(adapter.build("intelligence.dataset", {"slug": slug, "dataset_id": dataset_id}))


@job_handler(IMPORT_JOB, title=_l("Importing a dataset"), max_attempts=3, timeout=3600)
def import_dataset_job(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    result = run_import(ctx, payload)
    slug = payload.get("slug")
    if result.get("status") == "done" and isinstance(slug, str):
        result["next_url"] = dataset_path(slug, int(result["dataset_id"]))
    return result
