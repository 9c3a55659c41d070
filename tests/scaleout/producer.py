"""Queue the scale-out test's import job from a separate process, as a web request would.

python -m tests.scaleout.producer EMAIL PREFIX COUNT DELAY KEY   → prints the job id
"""

from __future__ import annotations

import sys

from sqlalchemy import select

from engage import create_app
from engage.accounts.models import User
from engage.core.transactions import write_intent
from engage.extensions import db
from engage.jobs import enqueue_job


def main(email: str, prefix: str, count: str, delay: str, key: str) -> int:
    app = create_app()
    with app.app_context(), write_intent():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None, email
        job = enqueue_job(
            "scaleout.import_organisations",
            {"prefix": prefix, "count": int(count), "delay": float(delay)},
            owner_id=user.id,
            partnership_id=user.memberships[0].partnership_id,
            key=key,
        )
        job_id = job.id
        db.session.commit()  # dispatched to RQ on commit
    print(job_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
