"""Set up the scale-out test's PB vote from a separate process, as the demo loader would:
an open choose-up-to-2 process of its own (next to the demo's open process, same partnership
and district) and COUNT residents of that district with confirmed email addresses.

python -m tests.scaleout.pb_setup PREFIX COUNT PASSWORD
    → prints the process id, then one email address a line
"""

from __future__ import annotations

import sys
from datetime import timedelta

from sqlalchemy import select

from engage import create_app
from engage.accounts.models import User
from engage.accounts.passwords import hash_password
from engage.budgeting.demo import OPEN_PROJECTS, OPEN_TITLE
from engage.budgeting.models import BallotKind, BudgetingProcess, BudgetProject, ProjectStatus
from engage.core.time import utcnow
from engage.core.transactions import write_intent
from engage.extensions import db


def main(prefix: str, count: str, password: str) -> int:
    app = create_app()
    with app.app_context(), write_intent():
        demo = db.session.scalar(
            select(BudgetingProcess).where(BudgetingProcess.title == OPEN_TITLE)
        )
        assert demo is not None, "the demo's open PB process is missing (flask demo load)"
        now = utcnow()
        process = BudgetingProcess(
            partnership_id=demo.partnership_id,
            area_id=demo.area_id,
            title=f"Scale-out vote {prefix}",
            description="Choose up to two projects.",
            budget_pence=1_500_000,
            voting_open_at=now - timedelta(days=1),
            voting_close_at=now + timedelta(days=7),
            ballot_kind=BallotKind.CHOOSE_K,
            max_choices=2,
            min_choices=1,
            rule="greedy-cost",
            tie_break="lexicographic",
            minimum_age=16,
            allows_changes=True,
        )
        db.session.add(process)
        for code, title, title_cy, cost in OPEN_PROJECTS:
            db.session.add(
                BudgetProject(
                    process=process,
                    code=code,
                    title=title,
                    title_cy=title_cy,
                    cost_pence=cost,
                    description=f"{title}.",
                    status=ProjectStatus.SHORTLISTED,
                )
            )
        db.session.flush()
        wards = demo.area.wards()
        hashed = hash_password(password)
        emails = [f"{prefix}-{index}@scaleout.example" for index in range(int(count))]
        db.session.add_all(
            User(
                email=email,
                password_hash=hashed,
                display_name=f"Scale-out voter {index}",
                home_ward_id=wards[index % len(wards)].id,
                email_confirmed_at=now,
            )
            for index, email in enumerate(emails)
        )
        process_id = process.id
        db.session.commit()
    print(process_id)
    print("\n".join(emails))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
