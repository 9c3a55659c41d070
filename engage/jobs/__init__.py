"""One interface for long work: imports, tallies, panel selections, exports, purges.

    from engage.jobs import JobContext, enqueue_job, job_handler

    @job_handler("intelligence.import_dataset", title=_l("Importing a dataset"))
    def import_dataset_job(ctx: JobContext, payload: dict) -> dict:
        ...                      # database work in db.session; flush, never commit
        ctx.progress(done, total)
        return {"rows": n}       # the job's result (JSON)

    job = enqueue_job("intelligence.import_dataset", {"dataset_id": 3},
                      owner_id=user.id, partnership_id=p.id, key="dataset-3:v1")
    db.session.commit()          # the job starts once this commits
    redirect(url_for("jobs.status", job_id=job.id))

Handlers live in `engage/<domain>/jobs.py`, named "<domain>.<thing>": worker processes import
that module when they first meet the name.
"""

from engage.jobs.context import JobContext, JobFailed
from engage.jobs.models import Job, JobStatus
from engage.jobs.operations import enqueue_job, get_job, retry_job, wait_for_job
from engage.jobs.registry import UnknownJob, job_handler

__all__ = [
    "Job",
    "JobContext",
    "JobFailed",
    "JobStatus",
    "UnknownJob",
    "enqueue_job",
    "get_job",
    "job_handler",
    "retry_job",
    "wait_for_job",
]
