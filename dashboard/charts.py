"""The KPI charts as server-side SVG (pygal), inlined into the page: no JavaScript, no CDN, sharp
when printed, and the same numbers are on the page as tables for screen readers.

pygal's optional interactive script (tooltips) would be fetched from a CDN, so it is switched off
(`js=[]`) and the small configuration script it still embeds is removed: the SVG is pure markup.
"""

from __future__ import annotations

import re

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    opacity=".85",
    opacity_hover="1",
    colors=("#1f5fa8", "#c0392b", "#2e8540", "#b7791f", "#6b46c1", "#0f766e", "#9b2c2c", "#4a5568"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    title_font_size=15,
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    value_font_size=12,
    no_data_font_size=18,
)
SEVERITY_COLORS = {"Critical": "#9b2c2c", "High": "#c0392b", "Medium": "#b7791f", "Low": "#2e8540"}
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _config(**kwargs) -> dict:
    return {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 640,
        "height": 300,
        "show_y_guides": True,
        "legend_at_bottom": True,
        "no_data_text": "No data",
        "print_values": False,
        **kwargs,
    }


def _svg(chart, label: str) -> SafeString:
    """The chart as inline SVG markup (pygal escapes every text it writes), labelled for assistive technology."""
    svg = chart.render(is_unicode=True)
    svg = _COMMENT.sub("", _SCRIPT.sub("", svg))
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" ', 1))  # noqa: S308


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _count_axis(highest: int) -> list[int]:
    """Whole-number ticks from 0 to at least `highest` (counts have no fractions), at most about eight."""
    step = max(1, -(-max(highest, 1) // 8))
    return list(range(0, max(highest, 1) + step, step))


def trend(title: str, series: dict[str, list[dict]]) -> SafeString:
    """Lines of counts per month (`series`: name → [{"month", "count"}]) sharing the months."""
    chart = pygal.Line(**_config(title=title, x_label_rotation=30, dots_size=3))
    months = next(iter(series.values()), [])
    chart.x_labels = [m["month"] for m in months]
    chart.y_labels = _count_axis(max((p["count"] for points in series.values() for p in points), default=0))
    for name, points in series.items():
        chart.add(name, [p["count"] for p in points])
    return _svg(chart, title)


def bars(title: str, rows: list[tuple[str, int]], *, colors: dict[str, str] | None = None) -> SafeString:
    """One bar per row (label, count)."""
    chart = pygal.Bar(**_config(title=title, show_legend=False, print_values=True))
    chart.x_labels = [label for label, _ in rows]
    chart.y_labels = _count_axis(max((count for _, count in rows), default=0))
    chart.add(
        title,
        [{"value": count, "color": (colors or {}).get(label)} if colors and label in colors else count for label, count in rows],
    )
    return _svg(chart, title)


def gauges(title: str, rows: list[tuple[str, float | None]]) -> SafeString:
    """Percentages as half gauges, one per row (label, percent; None: nothing to measure, left out)."""
    chart = pygal.SolidGauge(
        **_config(
            title=title,
            half_pie=True,
            inner_radius=0.7,
            height=220 if len(rows) <= 3 else 320,
            show_legend=True,
            print_values=True,
            value_formatter=lambda v: f"{v:.1f} %",
        )
    )
    for label, percent in rows:
        if percent is not None:
            chart.add(label, [{"value": percent, "max_value": 100}])
    return _svg(chart, title)
