"""The report as a page a person reads: figures, numbers, and a real browser.

The browser test renders the page with headless Chromium (skipped when no
Chromium/Chrome is installed; CI installs it with
``apt-get install -y chromium``) and checks layout facts: no horizontal
overflow, every image loaded and no wider than its column, no raw markup in
the text, sortable tables, a table of contents that stays in view.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from crmine.datasets import make_retail
from crmine.report import _html, build_report

BROWSER = next(
    (
        shutil.which(b)
        for b in ("chromium", "chromium-browser", "google-chrome", "chrome")
        if shutil.which(b)
    ),
    None,
)


@pytest.fixture(scope="module")
def drawn():
    """The report on the built-in log, with every figure checked as it is drawn."""
    from crmine.plotting._common import tick_labels_overlap

    figures = []
    original = _html.figure_png

    def checking(fig, scale=2.0):
        overlaps = [pair for ax in fig.axes for pair in tick_labels_overlap(ax)]
        figures.append((fig.axes[0].get_title() if fig.axes else "", overlaps, fig))
        return original(fig, scale)

    mp = pytest.MonkeyPatch()
    mp.setattr(_html, "figure_png", checking)
    try:
        report = build_report(n_customers=400, random_state=1)
    finally:
        mp.undo()
    return report, figures


def test_no_tick_labels_overlap_in_any_figure(drawn):
    report, figures = drawn
    assert len(figures) >= 8
    for title, overlaps, _ in figures:
        assert overlaps == [], (title, overlaps[:3])


def test_figures_fit_the_page_and_are_readable(drawn):
    report, figures = drawn
    for title, _, fig in figures:
        width, height = fig.get_size_inches() * 100
        assert 450 <= width <= _html.PAGE_WIDTH_PX, title
        for ax in fig.axes:
            for text in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels()]:
                if text.get_text():
                    assert text.get_fontsize() >= 8, (title, text.get_text())
    sizes = re.findall(r'<img alt="[^"]*" width="(\d+)" height="(\d+)"', report.html)
    assert len(sizes) == len(figures)


def test_no_offset_notation_on_money_axes(drawn):
    _, figures = drawn
    for title, _, fig in figures:
        for ax in fig.axes:
            assert ax.yaxis.get_offset_text().get_text() == "", title


def test_pyramid_is_drawn_to_scale(drawn):
    _, figures = drawn
    (pyramid,) = [f for t, _, f in figures if t.startswith("Customer pyramid")]
    ax = pyramid.axes[0]
    assert "to scale" in ax.get_title() or "share of customers" in ax.get_title()
    areas = []
    for patch in ax.patches:
        xy = patch.get_xy()[:4]
        (x0, y0), (x1, _), (x2, y2), (x3, _) = xy
        areas.append(((x1 - x0) + (x2 - x3)) / 2 * (y0 - y2))
    shares = pd.Series(areas) / sum(areas)
    assert shares.iloc[0] == pytest.approx(0.01, abs=0.005)  # VIP: 1% of customers
    assert shares.iloc[1] == pytest.approx(0.04, abs=0.01)


def test_partial_last_month_is_marked():
    from crmine.plotting._report import plot_revenue_by_month

    t = pd.date_range("2024-01-01", "2024-03-10", freq="D")
    ax = plot_revenue_by_month(t, [1.0] * len(t))
    hatches = [p.get_hatch() is not None for p in ax.patches]
    assert hatches == [False, False, True]
    assert "partial" in ax.get_title()


def test_numbers_in_a_column_have_the_same_decimals(drawn):
    report, _ = drawn
    for table in re.findall(r"<tbody>(.*?)</tbody>", report.html):
        rows = [re.findall(r'<td class="num"[^>]*>([^<]*)</td>', r) for r in table.split("<tr>")]
        rows = [r for r in rows if r]
        for col in zip(*rows) if rows and len({len(r) for r in rows}) == 1 else []:
            decimals = {len(v.split(".")[1]) if "." in v else 0 for v in col if v and v[-1] != "%"}
            assert len(decimals) <= 1, col


def test_headers_are_human(drawn):
    report, _ = drawn
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', report.html)
    assert headers
    assert not [h for h in headers if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h)]


def test_thresholds_are_stated_and_respected(drawn):
    report, _ = drawn
    page = report.html
    basket = page[page.index('id="basket"') : page.index('id="churn"')]
    assert "confidence of at least 20.0%" in basket
    cross_sell = basket[basket.index("Cross-sell suggestions") :]
    confidences = [float(v) for v in re.findall(r"\((\d+\.\d)%\)", cross_sell)]
    assert confidences and min(confidences) >= 20.0


def test_non_products_are_kept_out_of_cross_sell():
    log = make_retail(300, random_state=2).transactions
    postage = log.drop_duplicates("order_id").assign(item="POST", quantity=1, price=3.0)
    report = build_report(pd.concat([log, postage], ignore_index=True), sections=["basket"])
    html = report.html
    assert "not products" in html
    body = html[html.index("Top association rules") :]
    assert "<td>POST</td>" not in body and "POST (" not in body


def test_negative_qini_gets_a_comment(monkeypatch):
    import crmine.campaign as campaign

    monkeypatch.setattr(campaign, "qini_auc_score", lambda *a, **k: -0.05)
    report = build_report(n_customers=600, random_state=0, sections=["campaign"])
    assert "worse than random" in report.html


# ----------------------------------------------------------------------------- browser

_PROBE = """
<script>
window.addEventListener("load", function () {
  var facts = {};
  var doc = document.documentElement;
  facts.overflow = doc.scrollWidth - window.innerWidth;
  var imgs = Array.prototype.slice.call(document.images);
  facts.images = imgs.length;
  facts.broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length;
  facts.too_wide = imgs.filter(function (i) {
    return i.getBoundingClientRect().width > i.parentElement.getBoundingClientRect().width + 1;
  }).length;
  facts.raw_markup = (document.body.innerText.match(/<\\/?[a-z][a-z0-9]*[ >]/gi) || []).length;
  facts.nav_position = getComputedStyle(document.querySelector("nav")).position;
  var th = document.querySelector("table.sortable thead th[data-kind=num]");
  th.click(); th.click();
  var col = Array.prototype.indexOf.call(th.parentElement.children, th);
  var vals = Array.prototype.slice.call(th.closest("table").tBodies[0].rows).map(
    function (r) { return parseFloat(r.cells[col].dataset.v); });
  facts.sorted_desc = vals.every(function (v, i) { return i === 0 || vals[i - 1] >= v; });
  var pre = document.createElement("pre");
  pre.id = "facts";
  pre.textContent = JSON.stringify(facts);
  document.body.appendChild(pre);
});
</script>
"""


@pytest.mark.slow
@pytest.mark.skipif(BROWSER is None, reason="no Chromium/Chrome installed")
@pytest.mark.parametrize("width", [1280, 800])
def test_report_in_a_real_browser(tmp_path, drawn, width):
    report, _ = drawn
    page = tmp_path / "report.html"
    page.write_text(report.html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    cmd = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},2000",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    match = re.search(r'<pre id="facts">(.*?)</pre>', dom, re.S)
    assert match, "the page did not finish loading"
    facts = json.loads(match.group(1).replace("&quot;", '"'))
    assert facts["overflow"] <= 0, facts
    assert facts["images"] >= 8 and facts["broken"] == 0, facts
    assert facts["too_wide"] == 0, facts
    assert facts["raw_markup"] == 0, facts
    assert facts["nav_position"] == ("sticky" if width > 800 else "static"), facts
    assert facts["sorted_desc"], facts


@pytest.mark.public_data
@pytest.mark.slow
def test_online_retail_report_is_honest():
    from conftest import shared_dataset

    path = shared_dataset("online_retail") / "online_retail.parquet"
    report = build_report(path, random_state=0, sections=["basket", "lifetime"])
    html = report.html
    basket = html[html.index('id="basket"') : html.index('id="lifetime"')]
    # postage, bank charges and vouchers are named as left out and never suggested
    assert "not products" in basket
    suggestions = basket[basket.index("Cross-sell suggestions") :]
    for word in ("POSTAGE", "Bank Charges", "Gift Voucher", "Manual"):
        assert word not in suggestions
    intro = basket[: basket.index("Top association rules")]
    assert "CARRIAGE CLOCK" not in intro and "LANTERN" not in intro  # products stay products
    # a spend model with an infinite mean never feeds a CLV figure in money
    life = html[html.index('id="lifetime"') :]
    assert "infinite" in life or "Value, next 12 months" in life
