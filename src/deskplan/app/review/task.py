"""The review task `sync` writes when a cadence period closes: the period's review, built as
`deskplan review` builds it (`review_of`), its digest's title as the task's title and the task
body (`render_note`) as its text. The planner (writes/reviews.py) decides which periods are due
and calls this only for the reviews it will write."""

from __future__ import annotations

from datetime import datetime

from deskplan.app.review.command import review_of
from deskplan.app.review.render_text import note_text
from deskplan.app.review.words import digest
from deskplan.kpi.review import Period
from deskplan.rules.load import Workspace
from deskplan.rules.plan import Cadence
from deskplan.state.store import Store
from deskplan.writes.reviews import Render


def review_renderer(workspace: Workspace, store: Store, now: datetime) -> Render:
    """(title, body) of a cadence entry's review of a period, from the state as it is now."""
    def render(cadence: Cadence, period: Period) -> tuple[str, str]:
        doc = digest(review_of(workspace, store, now, cadence, period))     # built once: title and body
        return doc.title, note_text(doc)

    return render
