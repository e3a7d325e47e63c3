"""States and kinds, one way: labelled enums, the CHECKs made from them, and `move`.

- `LabelledEnum`: a stored value with the words people read for it (`OrderStatus.PAID.label`),
  so no page keeps its own dictionary of labels.
- `check_in`: the CHECK constraint that keeps a column within an enum's values, generated
  from the enum so the database and the code cannot disagree.
- `move` and `StatusChange`: the one way a record changes state (STYLE rule 11). Each feature
  keeps its own table of allowed moves and calls `move` from its `transition` function, which
  checks the move and writes a history row with these columns.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db


class LabelledEnum(enum.StrEnum):
    """A `StrEnum` whose members carry their label: `PAID = "paid", _l("Paid")`.

    The member is the stored string, as before; `.label` is the lazily translated words
    (rendered in the reader's language when shown). A member without a label shows its value.
    """

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self):
        return self._label if self._label is not None else self.value

    @classmethod
    def label_of(cls, value: str | None) -> str:
        """The words for a stored value; one the enum does not know shows as stored."""
        try:
            return str(cls(value).label)
        except ValueError:
            return "" if value is None else str(value)

    @classmethod
    def choices(cls, members: Iterable[LabelledEnum] | None = None) -> list[tuple[str, object]]:
        """(value, lazy label) pairs for a form's select, in the enum's order."""
        return [(member.value, member.label) for member in (members or cls)]


def expose(app, *enums: type[LabelledEnum]) -> None:
    """Make enums reachable from every template by their class name, so a page shows a stored
    value as `{{ OrderStatus.label_of(order.status) }}` rather than keeping its own labels."""
    app.jinja_env.globals.update({labelled.__name__: labelled for labelled in enums})


def sql_values(members: Iterable[enum.StrEnum]) -> str:
    """`'draft', 'closed'`: the members as an SQL list (constants, never input)."""
    return ", ".join(f"'{member.value}'" for member in members)


def check_in(column: str, members: Iterable[enum.StrEnum], *, name: str) -> CheckConstraint:
    """`CHECK (column IN (...every value...))`, named like the hand-typed ones it replaces."""
    return CheckConstraint(f"{column} IN ({sql_values(members)})", name=name)


class StatusChange:
    """The columns of a history row `move` writes: from, to, who, why and when. A mapped class
    adds the key of the record that moved."""

    from_status: Mapped[str] = mapped_column(String(20), nullable=False)
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    @declared_attr
    def actor(cls):
        return relationship("User")


def check(
    record,
    to: enum.StrEnum,
    allowed: Mapping[enum.StrEnum, set],
    *,
    refuse: Callable[[enum.StrEnum, enum.StrEnum], Exception],
) -> enum.StrEnum:
    """`move`'s test alone, for a service that refuses early, before it locks or writes
    anything: raises `refuse(current, to)` unless the table allows the move."""
    current = type(to)(record.status)
    if to not in allowed[current]:
        raise refuse(current, to)
    return current


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
    """Move `record.status` to `to`, or raise `refuse(current, to)` and change nothing.
    Returns the old state.

    `history(from_status=, to_status=, actor_id=, comment=)` builds the history row."""
    current = check(record, to, allowed, refuse=refuse)
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
