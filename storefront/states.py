"""The one way a record changes state: check the move against its table, write the history row.

Each feature keeps its own table of allowed moves (vendors, products, later orders and
settlements) and calls `move` from its `transition` function (STYLE rule 11).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping

from storefront.extensions import db


def move(
    record,
    to: enum.StrEnum,
    allowed: Mapping[enum.StrEnum, set],
    *,
    history: Callable[..., object],
    actor,
    comment: str = "",
    refuse: Callable[[enum.StrEnum, enum.StrEnum], Exception],
) -> enum.StrEnum:
    """Move `record.status` to `to`, or raise `refuse(current, to)`. Returns the old state.

    `history(from_status=, to_status=, actor_id=, comment=)` builds the history row."""
    current = type(to)(record.status)
    if to not in allowed[current]:
        raise refuse(current, to)
    db.session.add(
        history(
            from_status=current.value,
            to_status=to.value,
            actor_id=getattr(actor, "id", None),
            comment=comment or "",
        )
    )
    record.status = to.value
    return current
