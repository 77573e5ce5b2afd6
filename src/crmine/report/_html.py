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

__all__ = [
    "Section",
    "Table",
    "Figure",
    "Text",
    "KeyValues",
    "render_page",
    "new_figure",
    "figure_block",
    "human",
    "REPORT_STYLE",
]

#: matplotlib settings of every report figure: readable at 100% zoom, no offset notation.
REPORT_STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.formatter.useoffset": False,
    "axes.formatter.limits": (-6, 9),
    "axes.spines.top": False,
    "axes.spines.right": False,
}

#: Readable headers for the column names the analyses produce.
_HEADERS: dict[str, str] = {
    "customers": "Customers",
    "customer_share": "% of customers",
    "revenue": "Revenue",
    "revenue_share": "% of revenue",
    "value": "Value",
    "value_share": "% of value",
    "value_mean": "Mean value",
    "recency_mean": "Mean days since last purchase",
    "frequency_mean": "Mean orders",
    "monetary_mean": "Mean spend",
    "recency_days": "Days since last purchase",
    "frequency": "Orders",
    "monetary_total": "Total spend",
    "threshold": "Spend to enter",
    "loss_making": "Loss-making",
    "action": "Action",
    "rows": "Rows",
    "share_of_rows": "% of rows",
    "share": "% of customers",
    "churn_risk": "Churn risk",
    "revenue_at_risk": "Revenue at risk",
    "spend_365d": "Spend, last 365 days",
    "clv_12m": "Value, next 12 months",
    "p_alive": "P(alive)",
    "expected_purchases_12m": "Expected purchase days, next 12 months",
    "expected_spend_per_purchase": "Expected spend per purchase",
    "past_spend": "Past spend",
    "purchase_days": "Purchase days",
    "positives": "Churners",
    "rate": "Churn rate",
    "cum_capture": "Cumulative % of churners",
    "lift": "Lift",
    "cum_lift": "Cumulative lift",
    "responders": "Responders",
    "response_rate": "Response rate",
    "response_rate_low": "Rate, 95% low",
    "response_rate_high": "Rate, 95% high",
    "lift_abs": "Lift (points)",
    "lift_abs_low": "Lift, 95% low",
    "lift_abs_high": "Lift, 95% high",
    "p_value": "p-value",
    "p-value": "p-value",
    "significant": "Significant",
    "incremental_responders": "Incremental responders",
    "revenue_per_customer": "Revenue per customer",
    "incremental_revenue": "Incremental revenue",
    "response_rate_treatment": "Response rate, treated",
    "response_rate_control": "Response rate, control",
    "uplift": "Uplift",
    "n_treatment": "Treated",
    "n_control": "Control",
    "estimate": "Estimate",
    "model": "Model",
    "k": "k",
    "rfm_code": "RFM code",
    "rfm_segment": "RFM segment",
    "rfm_score": "RFM score",
    "value_tier": "Value tier",
    "clv": "CLV",
    "expected_purchases": "Expected purchase days",
    "next_best_offer": "Next best offer",
    "offer_confidence": "Offer confidence",
    "offer_basis": "Offer basis",
}


def human(name: Any) -> str:
    """A readable header for a column name (``"revenue_share"`` -> ``"% of revenue"``).

    Examples
    --------
    >>> from crmine.report._html import human
    >>> human("revenue_share"), human("median_order_value")
    ('% of revenue', 'Median order value')
    """
    text = str(name)
    if text in _HEADERS:
        return _HEADERS[text]
    if text and text == text.lower() and "_" in text or text.islower():
        text = text.replace("_", " ")
        return text[:1].upper() + text[1:]
    return text


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
    width: int = 0  # CSS pixels at 100% zoom (0: natural size)
    height: int = 0


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


def column_format(values: pd.Series) -> Callable[[Any], str]:
    """One number format for a whole column: same decimals in every cell.

    Whole numbers get thousands separators and no decimals; other numbers get
    two decimals (three when every value is below 1 in size).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmine.report._html import column_format
    >>> f = column_format(pd.Series([4.0, 372.25, 1234.5]))
    >>> [f(v) for v in (4.0, 372.25, 1234.5)]
    ['4.00', '372.25', '1,234.50']
    """
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return fmt_value
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        decimals = 0
    elif np.nanmax(np.abs(finite)) < 1:
        decimals = 3
    else:
        decimals = 2

    def fmt(v: Any) -> str:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return fmt_value(v)
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{x:,.{decimals}f}"

    return fmt


def _sort_key(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(x) else repr(x)


def _table_html(t: Table) -> str:
    df = t.frame
    parts = ['<div class="tw"><table class="sortable">']
    if t.caption:
        parts.append(f"<caption>{esc(t.caption)}</caption>")
    head = ([human(df.index.name or "")] if t.index else []) + [human(c) for c in df.columns]
    nums = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    kinds = (["txt"] if t.index else []) + ["num" if n else "txt" for n in nums]
    parts.append(
        "<thead><tr>"
        + "".join(
            f'<th scope="col" data-kind="{k}" title="sort">{esc(h)}</th>'
            for h, k in zip(head, kinds)
        )
        + "</tr></thead><tbody>"
    )
    fmts = [t.formats.get(str(c)) or column_format(df[c]) for c in df.columns]
    for idx, row in zip(df.index, df.itertuples(index=False, name=None)):
        label = fmt_value(idx) if isinstance(idx, (float, pd.Timestamp)) else str(idx)
        cells = [f'<th scope="row">{esc(label)}</th>'] if t.index else []
        for f, v, num in zip(fmts, row, nums):
            text = f(v)
            if num or isinstance(v, (int, float, np.number)):
                cells.append(f'<td class="num" data-v="{esc(_sort_key(v))}">{esc(text)}</td>')
            else:
                cells.append(f"<td>{esc(text)}</td>")
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
        size = ""
        if block.width:
            # drawn at 2x for sharp screens; shown at its design size (or narrower)
            size = f' width="{block.width}" height="{block.height}"'
        return (
            f'<figure><img alt="{esc(block.alt)}"{size} '
            f'src="data:image/png;base64,{data}"></figure>'
        )
    raise TypeError(f"unknown report block {type(block).__name__}")


_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;
background:#f5f7fa;line-height:1.45}
header{background:#243b53;color:#fff;padding:1.2em 2em}
header h1{margin:0 0 .2em 0;font-size:1.6em;overflow-wrap:anywhere}
header p{margin:0;opacity:.85}
.layout{display:flex;align-items:flex-start;max-width:1240px;margin:0 auto}
nav{position:sticky;top:0;flex:0 0 210px;max-height:100vh;overflow-y:auto;padding:1em .8em}
nav a{display:block;padding:.3em .6em;color:#334e68;text-decoration:none;font-size:.9em;
border-left:3px solid transparent}
nav a.skipped{color:#9fb3c8}
nav a.active{border-left-color:#2f6690;background:#e3f8ff;font-weight:600}
main{flex:1 1 auto;min-width:0;padding:1em 1.5em 1em .5em;max-width:1000px}
section{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:1em 1.4em;
margin:1em 0;scroll-margin-top:.5em}
section h2{margin-top:0;font-size:1.25em}
.badge{font-size:.7em;padding:.15em .5em;border-radius:3px;margin-left:.6em;
vertical-align:middle;background:#e3f8ff;color:#035388}
.badge.skipped{background:#fff3c4;color:#8d2b0b}
p.note{background:#fffbea;border-left:4px solid #f0b429;padding:.4em .8em}
p.skip{background:#fff3c4;border-left:4px solid #de911d;padding:.4em .8em}
.tw{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border-bottom:1px solid #e4e7eb;padding:.25em .6em;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th{background:#f0f4f8;cursor:pointer;user-select:none;white-space:normal}
thead th[aria-sort=ascending]::after{content:" \\25B2";font-size:.7em}
thead th[aria-sort=descending]::after{content:" \\25BC";font-size:.7em}
table.kv th{font-weight:500;color:#486581}
figure{margin:.8em 0}
figure img{max-width:100%;height:auto;display:block}
footer{padding:1em 2em;color:#829ab1;font-size:.85em}
@media (max-width:800px){.layout{display:block}nav{position:static;max-height:none}
nav a{display:inline-block}}
"""

# Sortable tables (click a header) and a table of contents that follows the reader.
_JS = """
document.querySelectorAll("table.sortable thead th").forEach(function(th, col){
  th.addEventListener("click", function(){
    var table = th.closest("table"), body = table.tBodies[0];
    var asc = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function(h){h.removeAttribute("aria-sort");});
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var num = th.dataset.kind === "num";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a, b){
      var x = a.cells[col], y = b.cells[col], r;
      if (num) {
        var u = parseFloat(x.dataset.v), v = parseFloat(y.dataset.v);
        if (isNaN(u)) return 1; if (isNaN(v)) return -1; r = u - v;
      } else { r = x.textContent.localeCompare(y.textContent); }
      return asc ? r : -r;
    });
    rows.forEach(function(r){body.appendChild(r);});
  });
});
(function(){
  var links = {};
  document.querySelectorAll("nav a").forEach(function(a){links[a.hash.slice(1)] = a;});
  if (!("IntersectionObserver" in window)) return;
  var obs = new IntersectionObserver(function(entries){
    entries.forEach(function(e){
      if (e.isIntersecting && links[e.target.id]) {
        Object.keys(links).forEach(function(k){links[k].classList.remove("active");});
        links[e.target.id].classList.add("active");
      }
    });
  }, {rootMargin: "0px 0px -70% 0px"});
  document.querySelectorAll("main section[id]").forEach(function(s){obs.observe(s);});
})();
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
    body = []
    links = []
    findings = [s.highlight for s in sections if s.status == "ok" and s.highlight]
    if findings:
        items = "".join(f"<li>{esc(f)}</li>" for f in findings)
        body.append(f'<section id="key-findings"><h2>Key findings</h2><ul>{items}</ul></section>')
        links.append('<a href="#key-findings">Key findings</a>')
    for s in sections:
        cls = ' class="skipped"' if s.status != "ok" else ""
        links.append(f'<a href="#{esc(s.key)}"{cls}>{esc(s.title)}</a>')
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
        '<div class="layout">\n'
        f'<nav aria-label="Contents">{"".join(links)}</nav>\n<main>\n'
        + "\n".join(body)
        + "\n</main>\n</div>\n"
        f"<footer>{esc(footer)}</footer>\n<script>{_JS}</script>\n</body></html>\n"
    )


# ----------------------------------------------------------------------------- figures

#: Width of the page's content column in CSS pixels; figures are designed for it.
PAGE_WIDTH_PX = 900
_DPI = 100


def new_figure(width: float = 9.0, height: float = 4.0) -> Any:
    """A fresh matplotlib ``Figure`` attached to an Agg canvas (no pyplot).

    Sizes are in inches at 100 pixels per inch: ``width=9`` fills the
    page's content column at 100% zoom.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Any, scale: float = 2.0) -> bytes:
    """Render a figure to PNG bytes without metadata (deterministic output)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI * scale, metadata={"Software": None})
    return buf.getvalue()


def figure_block(fig: Any, alt: str) -> Figure:
    """A report :class:`Figure` from a matplotlib figure, shown at its design size.

    The figure is rendered at twice its pixel size (sharp on high-density
    screens) and displayed at ``width x height`` CSS pixels, never wider than
    the page.
    """
    w, h = fig.get_size_inches()
    return Figure(figure_png(fig), alt, width=int(round(w * _DPI)), height=int(round(h * _DPI)))
