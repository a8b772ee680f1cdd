"""The dashboard's charts, drawn on the server as SVG with pygal (no CDN, no script).

Each chart is a separate ``image/svg+xml`` response (``img-src 'self'``): an ``<img>``
never runs a script, and pygal is told to link none (``js=[]``); its inline config
script is dropped as well. The numbers drawn are those of the table beside each chart.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pygal
from flask_babel import gettext
from pygal.graph.graph import Graph
from pygal.style import Style

from portal.district_figures import OFFER_OUTCOMES, SMS_OUTCOMES, Figures
from portal.district_rosters import Gap, gap_hours
from portal.district_sql import OUTCOMES
from portal.labels_district import offer_label, outcome_label, sms_label

_SCRIPT = re.compile(rb"<script[^>]*>.*?</script>", re.S)
STYLE = Style(
    font_family="sans-serif",
    background="white",
    plot_background="white",
    foreground="#111",
    foreground_strong="#111",
    foreground_subtle="#555",
    colors=("#065", "#c60", "#04c", "#c00", "#808", "#555", "#0aa", "#a50"),
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
)


def _chart(kind: type[Graph], **config: object) -> Graph:
    options: dict[str, object] = {
        "js": [],
        "style": STYLE,
        "width": 640,
        "height": 320,
        "explicit_size": False,
        "legend_at_bottom": True,
        "print_values": False,
        "show_y_guides": True,
        "no_data_text": gettext("Nothing in this period"),
        **config,
    }
    return kind(**options)


def _svg(chart: Graph) -> bytes:
    return _SCRIPT.sub(b"", chart.render())


def per_day(f: Figures) -> bytes:
    chart = _chart(pygal.StackedBar, x_label_rotation=45, show_minor_x_labels=True)
    chart.x_labels = [d[5:] for d in f.volume.days]  # MM-DD
    for block in f.volume.blocks:
        chart.add(block, [f.volume.by_day_block.get((d, block), 0) for d in f.volume.days])
    return _svg(chart)


def per_week(f: Figures) -> bytes:
    chart = _chart(pygal.StackedBar)
    chart.x_labels = f.volume.weeks
    for hub in f.volume.hubs:
        chart.add(hub, [f.volume.by_week_hub.get((w, hub), 0) for w in f.volume.weeks])
    return _svg(chart)


def outcomes(f: Figures) -> bytes:
    chart = _chart(pygal.Bar, show_legend=False, print_values=True)
    chart.x_labels = [outcome_label(o) for o in OUTCOMES]
    chart.add(gettext("Consultations"), [f.outcomes[o] for o in OUTCOMES])
    return _svg(chart)


def wait(f: Figures) -> bytes:
    chart = _chart(pygal.Bar, show_legend=False, print_values=True)
    chart.x_labels = ["p50", "p95"]
    values = [None if v is None else round(v / 60, 1) for v in (f.wait_p50_s, f.wait_p95_s)]
    chart.add(gettext("Minutes"), values)
    return _svg(chart)


def offers(f: Figures) -> bytes:
    chart = _chart(pygal.StackedBar, x_label_rotation=45)
    chart.x_labels = [code for code, _ in f.offers.by_doctor]
    for key in OFFER_OUTCOMES[:3]:
        chart.add(offer_label(key), [counts[key] for _, counts in f.offers.by_doctor])
    return _svg(chart)


def sms(f: Figures) -> bytes:
    chart = _chart(pygal.Bar, show_legend=False, print_values=True)
    chart.x_labels = [sms_label(k) for k in SMS_OUTCOMES]
    chart.add(gettext("SMS"), [f.sms[k] for k in SMS_OUTCOMES])
    return _svg(chart)


def rosters(gaps: list[Gap]) -> bytes:
    chart = _chart(pygal.HorizontalBar, show_legend=False, print_values=True)
    hours = sorted(gap_hours(gaps).items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    chart.x_labels = [what for (_, what), _ in hours]
    chart.add(gettext("Hours without cover"), [n for _, n in hours])
    return _svg(chart)


#: chart name -> how it is drawn from the period's figures
FIGURE_CHARTS: dict[str, Callable[[Figures], bytes]] = {
    "per-day": per_day,
    "per-week": per_week,
    "outcomes": outcomes,
    "wait": wait,
    "offers": offers,
    "sms": sms,
}
