"""Bar charts drawn on the server as inline SVG: no script, no external file."""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    color: str


def bar_chart_svg(*, title: str, bars: list[Bar], width: int = 360, bar_height: int = 22) -> str:
    """A horizontal bar chart as an accessible <svg> element (role="img" with a
    <title>), each bar labelled with its name and count. Text is escaped.

    role="img" hides the drawn labels from screen readers, so a <desc> repeats
    the figures as text ("未开始 3，草稿 5")."""
    label_width = 90
    value_width = 40
    gap = 8
    plot_width = width - label_width - value_width
    height = len(bars) * (bar_height + gap) + gap
    largest = max((bar.value for bar in bars), default=0) or 1
    rows = []
    for index, bar in enumerate(bars):
        y = gap + index * (bar_height + gap)
        length = round(plot_width * bar.value / largest)
        rows.append(
            (
                y + bar_height * 0.7,
                bar.label,
                label_width,
                y,
                length,
                bar_height,
                bar.color,
                label_width + length + 6,
                y + bar_height * 0.7,
                bar.value,
            )
        )
    body = format_html_join(
        "",
        '<text x="0" y="{}" font-size="13">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"></rect>'
        '<text x="{}" y="{}" font-size="13">{}</text>',
        rows,
    )
    description = "，".join(f"{bar.label} {bar.value}" for bar in bars)
    return format_html(
        '<svg role="img" width="{}" height="{}" viewBox="0 0 {} {}">'
        "<title>{}</title><desc>{}</desc>{}</svg>",
        width,
        height,
        width,
        height,
        title,
        description,
        body,
    )
