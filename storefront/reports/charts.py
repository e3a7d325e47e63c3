"""Charts drawn on the server as SVG (pygal), shown as `<img src="data:image/svg+xml;…">`.

An image runs no script and loads nothing, so pygal's own style and script inside the SVG
break no rule of the page's Content-Security-Policy (`img-src 'self' data:` allows it; no
inline style or script reaches the page itself), and the chart works without a CDN or any
JavaScript. pygal's tooltip script is left out (`js=[]`); every chart's numbers are also
given as a table, which is what screen readers and anyone who wants exact figures read.
Sized for a 390 px phone first: large type, few axis labels; on a desktop it scales up.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pygal
from flask_babel import lazy_gettext as _l
from pygal.style import Style

from storefront.dates import date_text
from storefront.money import format_rupiah

TEAL, GOLD = "#0f766e", "#d97706"
PALETTE = (TEAL, GOLD, "#1d4ed8", "#b91c1c", "#7c3aed", "#15803d", "#be185d", "#475569")

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#cbd5e1",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=15,
    major_label_font_size=15,
    legend_font_size=16,
    value_font_size=14,
    tooltip_font_size=14,
    colors=PALETTE,
)
WIDTH, HEIGHT = 520, 340


def short_rupiah(amount: float | None) -> str:
    """Axis labels: `Rp250rb`, `Rp1,2jt` (ribu, juta), short enough for a phone."""
    if amount is None:
        return ""
    amount = int(amount)
    if abs(amount) >= 1_000_000:
        text = f"{amount / 1_000_000:.1f}".rstrip("0").rstrip(".").replace(".", ",")
        return str(_l("Rp%(n)s m", n=text)).replace(" ", "")
    if abs(amount) >= 1_000:
        return str(_l("Rp%(n)s k", n=amount // 1000)).replace(" ", "")
    return format_rupiah(amount)


@dataclass(frozen=True)
class Chart:
    title: str
    src: str  # a data: URI of the SVG
    description: str  # the alt text: what the chart shows, in a sentence
    empty: bool = False  # nothing to draw: the page says so instead


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _data_uri(chart) -> str:
    # pygal always writes its settings in a <script> (for its tooltips). An image never runs
    # it; it is dropped anyway, so the SVG holds drawing and style only.
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _base(kind, **options):
    return kind(
        style=STYLE,
        width=WIDTH,
        height=HEIGHT,
        js=[],
        disable_xml_declaration=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        show_y_guides=True,
        value_formatter=short_rupiah,
        margin=8,
        spacing=12,
        **options,
    )


WEEKLY_AFTER_DAYS = 62


def _by_week(per_day: dict[date, dict[str, int]]) -> dict[date, dict[str, int]]:
    weeks: dict[date, dict[str, int]] = {}
    for day, values in per_day.items():
        monday = day - timedelta(days=day.weekday())
        week = weeks.setdefault(monday, dict.fromkeys(values, 0))
        for channel, amount in values.items():
            week[channel] = week.get(channel, 0) + amount
    return weeks


def sales_per_day(per_day: dict[date, dict[str, int]], labels: dict[str, object]) -> Chart:
    """Stacked bars: gross per day (per week over longer ranges), one colour per channel."""
    weekly = len(per_day) > WEEKLY_AFTER_DAYS
    if weekly:
        per_day = _by_week(per_day)
    days = sorted(per_day)
    chart = _base(
        pygal.StackedBar,
        x_label_rotation=0,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(days) // 5),
        truncate_label=-1,
        y_labels_major_count=4,
    )
    chart.x_labels = [f"{d.day}/{d.month}" for d in days]
    chart.y_labels = ticks(max((sum(per_day[d].values()) for d in days), default=0), count=4)
    for channel, label in labels.items():
        chart.add(str(label), [per_day[d].get(channel, 0) or None for d in days])
    total = sum(sum(v.values()) for v in per_day.values())
    best = max(days, key=lambda d: sum(per_day[d].values()), default=None)
    description = str(
        _l(
            "Sales per day from %(start)s to %(end)s: %(total)s in all.",
            start=date_text(days[0]) if days else "",
            end=date_text(days[-1]) if days else "",
            total=format_rupiah(total),
        )
    )
    if best is not None and total:
        description += " " + str(
            _l(
                "The best day was %(day)s with %(amount)s.",
                day=date_text(best),
                amount=format_rupiah(sum(per_day[best].values())),
            )
        )
    title = _l("Sales per week") if weekly else _l("Sales per day")
    if not total:
        return Chart(str(title), "", description, empty=True)
    return Chart(str(title), _data_uri(chart), description)


def share_bars(title, rows: list[tuple[str, int]]) -> Chart:
    """Horizontal bars, largest first (sales per category, best sellers)."""
    # pygal swaps the axes of a horizontal chart: the x options shape the value axis
    # (at the bottom) and the y labels are the categories.
    chart = _base(
        pygal.HorizontalBar,
        show_legend=False,
        print_values=False,
        truncate_label=-1,
        margin_right=48,  # room for the last value label, centred on the plot's edge
    )
    shown = list(reversed(rows[:8]))  # pygal draws the first series value at the bottom
    chart.x_labels = [_short(label) for label, _value in shown]
    chart.y_labels = ticks(max((value for _label, value in rows), default=0))
    chart.add(str(title), [{"value": value, "color": TEAL} for _label, value in shown])
    description = "; ".join(f"{label}: {format_rupiah(value)}" for label, value in rows[:8])
    if not any(value for _label, value in rows):
        return Chart(str(title), "", str(title), empty=True)
    return Chart(str(title), _data_uri(chart), f"{title}: {description}")


def ticks(largest: int, count: int = 3) -> list[int]:
    """Round values for an axis from 0 past `largest`: 0, 250.000, 500.000 (few, for a phone)."""
    if largest <= 0:
        return [0]
    raw = largest / count
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [int(step * n) for n in range(count + 2) if step * (n - 1) < largest]


def _short(label: str, limit: int = 18) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
