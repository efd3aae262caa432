"""Bottom-up membership: worker sign-ups through the park's channels, recorded as counts only."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import insert, select, update

from templates.i18n import N_, _
from workflow.cases import check_event_day, event_row
from workflow.db import transaction
from workflow.errors import InvalidInput, NotFound, PermissionDenied
from workflow.flags import signup_flagged, signup_threshold
from workflow.permissions import require_actor
from workflow.tables import CASE, ENT, EVENT, PARK
from workflow.uscc import no_enterprise, normalise_uscc

log = logging.getLogger(__name__)


def record_signups(ctx, uscc: str, n: int, on: date | None = None) -> dict:
    """Add `n` sign-ups to an enterprise and put a `signup` event (the count, no personal data) on its case.

    Admins record for any park; cadres, social workers and supervisors for the enterprises of their park.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInput(_("N must be a whole number of sign-ups, at least 1, not {n!r}").format(n=n))
    today = ctx.clock.today()
    on = on or today
    check_event_day(on, today, what=N_("the sign-ups"))
    key = normalise_uscc(uscc)
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        ent = conn.execute(
            select(ENT.c.id, ENT.c.name, ENT.c.park_id, PARK.c.code.label("park"), CASE.c.id.label("case_id"),
                   CASE.c.status)
            .join(PARK, PARK.c.id == ENT.c.park_id).outerjoin(CASE, CASE.c.enterprise_id == ENT.c.id)
            .where(ENT.c.uscc == key)
        ).first()
        if ent is None:
            raise NotFound(no_enterprise(key))
        if actor.role != "admin" and (actor.role == "secretary" or actor.park_id != ent.park_id):
            raise PermissionDenied(
                _("{actor} may not record sign-ups for {uscc} ({enterprise}): that needs an admin or a cadre, social "
                  "worker or supervisor of park {park}").format(actor=actor, uscc=key, enterprise=ent.name, park=ent.park)
            )
        conn.execute(update(ENT).where(ENT.c.id == ent.id).values(signups=ENT.c.signups + n,
                                                                  updated_at=ctx.clock.now()))
        total = conn.execute(select(ENT.c.signups).where(ENT.c.id == ent.id)).scalar_one()
        if ent.case_id is not None:
            conn.execute(insert(EVENT).values(event_row(
                ent.case_id, "signup", on, ctx.clock.now(), actor.id, event="signup", from_status=ent.status,
                to_status=ent.status, note=_("{n} worker sign-ups").format(n=n), data={"count": n, "total": total},
            )))
    threshold = signup_threshold(ctx.config)
    flagged = signup_flagged(ent.status or "prospect", total, threshold)
    log.info("%d sign-ups recorded for %s (total %d, flagged %s)", n, key, total, flagged)
    return {"uscc": key, "enterprise": ent.name, "added": n, "signups": total, "threshold": threshold,
            "signup_flag": flagged}
