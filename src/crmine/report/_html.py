"""The self-contained HTML page of ``crmine report``.

Every string that comes from the data goes through :func:`html.escape`;
figures are PNG images embedded as base64 ``data:`` URIs, so the page has no
external resource.  Figures are drawn on :class:`matplotlib.figure.Figure`
objects with the Agg canvas, never through ``pyplot``, so the report does not
touch the caller's matplotlib state.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Section", "Table", "Figure", "Text", "KeyValues", "render_page", "new_figure"]


def esc(value: Any) -> str:
    """HTML-escape any value's string form (quotes included)."""
    return html.escape(str(value), quote=True)


@dataclass
class Text:
    """A paragraph (``kind="p"``) or a highlighted note (``kind="note"``)."""

    text: str
    kind: str = "p"


@dataclass
class KeyValues:
    """A small two-column table of headline numbers."""

    items: Sequence[tuple[str, Any]]


@dataclass
class Table:
    """A DataFrame shown as a table; ``formats`` maps column -> format function."""

    frame: pd.DataFrame
    caption: str = ""
    formats: dict[str, Callable[[Any], str]] = field(default_factory=dict)
    index: bool = True


@dataclass
class Figure:
    """A PNG figure (raw bytes) with its alternative text."""

    png: bytes
    alt: str


@dataclass
class Section:
    """One section of the report: its title, status and content blocks."""

    key: str
    title: str
    status: str = "ok"  # "ok" or "skipped"
    reason: str = ""
    blocks: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    highlight: str = ""  # one sentence for the "Key findings" box at the top


# ----------------------------------------------------------------------------- formatting


def fmt_value(value: Any) -> str:
    """Default cell formatting: thousands separators, 3 significant decimals."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == round(v) and abs(v) < 1e15:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        if abs(v) >= 1:
            return f"{v:,.2f}"
        return f"{v:.3g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    if isinstance(value, (frozenset, set)):
        return ", ".join(sorted(str(v) for v in value))
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def pct(value: Any) -> str:
    """Format a share as a percentage with one decimal."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "" if math.isnan(v) else f"{100 * v:.1f}%"


def money(value: Any) -> str:
    """Format an amount with two decimals and thousands separators."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "" if math.isnan(v) else f"{v:,.2f}"


def _table_html(t: Table) -> str:
    df = t.frame
    parts = ['<div class="tw"><table>']
    if t.caption:
        parts.append(f"<caption>{esc(t.caption)}</caption>")
    head = ([esc(df.index.name or "")] if t.index else []) + [esc(c) for c in df.columns]
    parts.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>")
    fmts = [t.formats.get(str(c), fmt_value) for c in df.columns]
    for idx, row in zip(df.index, df.itertuples(index=False, name=None)):
        label = fmt_value(idx) if isinstance(idx, (float, pd.Timestamp)) else str(idx)
        cells = [f'<th scope="row">{esc(label)}</th>'] if t.index else []
        for f, v in zip(fmts, row):
            text = f(v)
            cls = ' class="num"' if isinstance(v, (int, float, np.number)) else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def _block_html(block: Any) -> str:
    if isinstance(block, Text):
        cls = "note" if block.kind == "note" else "text"
        return f'<p class="{cls}">{esc(block.text)}</p>'
    if isinstance(block, KeyValues):
        rows = "".join(
            f"<tr><th>{esc(k)}</th><td>{esc(fmt_value(v))}</td></tr>" for k, v in block.items
        )
        return f'<table class="kv">{rows}</table>'
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        return f'<figure><img alt="{esc(block.alt)}" src="data:image/png;base64,{data}"></figure>'
    raise TypeError(f"unknown report block {type(block).__name__}")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}
header{background:#243b53;color:#fff;padding:1.2em 2em}
header h1{margin:0 0 .2em 0;font-size:1.6em}
header p{margin:0;opacity:.85}
nav{padding:.8em 2em;background:#fff;border-bottom:1px solid #d9e2ec}
nav a{margin-right:1.2em;color:#334e68;text-decoration:none;font-size:.92em}
nav a.skipped{color:#9fb3c8}
main{padding:1em 2em;max-width:1100px}
section{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:1em 1.4em;
margin:1em 0}
section h2{margin-top:0;font-size:1.25em}
.badge{font-size:.7em;padding:.15em .5em;border-radius:3px;margin-left:.6em;
vertical-align:middle;background:#e3f8ff;color:#035388}
.badge.skipped{background:#fff3c4;color:#8d2b0b}
p.note{background:#fffbea;border-left:4px solid #f0b429;padding:.4em .8em}
p.skip{background:#fff3c4;border-left:4px solid #de911d;padding:.4em .8em}
.tw{overflow-x:auto}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border-bottom:1px solid #e4e7eb;padding:.25em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f0f4f8}
table.kv th{font-weight:500;color:#486581}
figure{margin:.6em 0}
figure img{max-width:100%}
footer{padding:1em 2em;color:#829ab1;font-size:.85em}
"""


def render_page(
    sections: Sequence[Section],
    *,
    title: str,
    subtitle: str = "",
    footer: str = "",
) -> str:
    """Assemble the sections into one HTML document (a string).

    Parameters
    ----------
    sections : sequence of Section
        The report content, in order.
    title, subtitle, footer : str
        Page title, the line under it and the footer text (escaped).

    Returns
    -------
    str
        A complete, self-contained HTML document.
    """
    nav = "".join(
        f'<a href="#{esc(s.key)}" class="{"skipped" if s.status != "ok" else ""}">'
        f"{esc(s.title)}</a>"
        for s in sections
    )
    body = []
    findings = [s.highlight for s in sections if s.status == "ok" and s.highlight]
    if findings:
        items = "".join(f"<li>{esc(f)}</li>" for f in findings)
        body.append(f'<section id="key-findings"><h2>Key findings</h2><ul>{items}</ul></section>')
    for s in sections:
        badge = '<span class="badge skipped">skipped</span>' if s.status != "ok" else ""
        inner = [f'<section id="{esc(s.key)}"><h2>{esc(s.title)}{badge}</h2>']
        if s.status != "ok":
            inner.append(f'<p class="skip">skipped: {esc(s.reason)}</p>')
        inner.extend(_block_html(b) for b in s.blocks)
        inner.append("</section>")
        body.append("\n".join(inner))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>\n"
        f"<nav>{nav}</nav>\n<main>\n" + "\n".join(body) + "\n</main>\n"
        f"<footer>{esc(footer)}</footer>\n</body></html>\n"
    )


# ----------------------------------------------------------------------------- figures


def new_figure(width: float = 7.0, height: float = 3.6) -> Any:
    """A fresh matplotlib ``Figure`` attached to an Agg canvas (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Any) -> bytes:
    """Render a figure to PNG bytes without metadata (deterministic output)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    return buf.getvalue()
