"""Tests of the ``crmine report`` command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from crmine.cli import build_parser, main
from crmine.datasets import make_retail
from crmine.report import SECTION_TITLES

FAST = "data-quality,overview"


@pytest.fixture(scope="module")
def small_log():
    log = make_retail(150, random_state=5).transactions.copy()
    log["timestamp"] = log["timestamp"].dt.floor("s")
    return log


def _online_retail_layout(log):
    """The same log with the UCI Online Retail column names."""
    return log.rename(
        columns={
            "customer_id": "CustomerID",
            "order_id": "InvoiceNo",
            "timestamp": "InvoiceDate",
            "item": "StockCode",
            "quantity": "Quantity",
            "price": "UnitPrice",
        }
    ).assign(Description=lambda d: d["StockCode"].str.upper())


def test_builtin_log_writes_report(tmp_path, capsys):
    out = tmp_path / "report.html"
    code = main(["report", "--n-customers", "200", "--out", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out}\n"
    from crmine.report._sections import SECTIONS

    # the reading, cleaning and table steps come before the sections
    assert f"/{len(SECTIONS) + 3}]" in captured.err and "Campaign response" in captured.err
    html = out.read_text(encoding="utf-8")
    for title in SECTION_TITLES:
        assert title in html


def test_quiet_prints_nothing_but_the_result(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--n-customers", "120", "--sections", FAST, "-q", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out}\n"
    assert captured.err == ""


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet", "xlsx"])
def test_each_file_format(tmp_path, capsys, small_log, fmt):
    path = tmp_path / f"log.{fmt}"
    if fmt.startswith("csv"):
        small_log.to_csv(path, index=False)
    elif fmt == "parquet":
        pytest.importorskip("pyarrow")
        small_log.to_parquet(path, index=False)
    else:
        pytest.importorskip("openpyxl")
        small_log.head(1000).to_excel(path, index=False)
    out = tmp_path / "r.html"
    code = main(["report", str(path), "--sections", FAST, "-q", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    n_rows = len(small_log) if fmt != "xlsx" else 1000
    assert f"{n_rows:,} rows" in html
    assert "Layout recognised</th><td>crmine" in html


def test_online_retail_layout_is_recognised(tmp_path, capsys, small_log):
    path = tmp_path / "retail.csv"
    _online_retail_layout(small_log).to_csv(path, index=False)
    out = tmp_path / "r.html"
    assert (
        main(["report", str(path), "--sections", "data-quality,basket", "-q", "-o", str(out)]) == 0
    )
    html = out.read_text(encoding="utf-8")
    assert "online_retail" in html
    # items are shown with their description
    assert "BEER (beer)" in html


def test_column_flags(tmp_path, capsys, small_log):
    path = tmp_path / "renamed.parquet"
    pytest.importorskip("pyarrow")
    small_log.rename(columns={"customer_id": "Kunde", "timestamp": "Datum"}).to_parquet(path)
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            str(path),
            "--customer",
            "Kunde",
            "--time",
            "Datum",
            "--sections",
            FAST,
            "-q",
            "-o",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "custom" in out.read_text(encoding="utf-8")


def test_missing_column_exits_2_with_message(tmp_path, capsys, small_log):
    path = tmp_path / "nocust.csv"
    small_log.drop(columns=["customer_id"]).to_csv(path, index=False)
    out = tmp_path / "r.html"
    code = main(["report", str(path), "-q", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "customer" in err and "--customer" in err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_bad_values_exit_2(tmp_path, capsys, small_log):
    path = tmp_path / "badprice.csv"
    bad = small_log.astype({"price": object})
    bad.loc[bad.index[3], "price"] = "12,50 EUR"
    bad.to_csv(path, index=False)
    code = main(["report", str(path), "-q", "-o", str(tmp_path / "r.html")])
    assert code == 2
    err = capsys.readouterr().err
    assert "'price'" in err and "12,50 EUR" in err


def test_wrong_flag_column_exits_2(tmp_path, capsys, small_log):
    path = tmp_path / "log.csv"
    small_log.to_csv(path, index=False)
    code = main(["report", str(path), "--amount", "Umsatz", "-q", "-o", str(tmp_path / "r.html")])
    assert code == 2
    assert "'Umsatz'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("log.parquet", b"garbage, not parquet"),
        ("log.xlsx", b"not a zip"),
        ("log.csv", b"\x00\x01\x02"),
        ("log.bin", b"abc"),
    ],
)
def test_unreadable_file_exits_2(tmp_path, capsys, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    code = main(["report", str(path), "-q", "-o", str(tmp_path / "r.html")])
    assert code == 2
    err = capsys.readouterr().err
    assert name in err
    assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path, capsys):
    code = main(["report", str(tmp_path / "absent.csv"), "-q"])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_bad_campaign_file_exits_2(tmp_path, capsys, small_log):
    path = tmp_path / "camp.csv"
    path.write_text("customer_id,arm_label\n1,a\n")
    code = main(
        [
            "report",
            "--n-customers",
            "120",
            "--campaign",
            str(path),
            "-q",
            "-o",
            str(tmp_path / "r.html"),
        ]
    )
    assert code == 2
    assert "campaign" in capsys.readouterr().err


def test_unknown_section_exits_2(capsys):
    assert main(["report", "--sections", "rfm,bogus", "-q"]) == 2
    assert "bogus" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "report" in capsys.readouterr().err


def test_same_seed_same_bytes_from_the_command_line(tmp_path, capsys):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    args = [
        "report",
        "--n-customers",
        "150",
        "--seed",
        "3",
        "--sections",
        "data-quality,overview,pyramid",
        "-q",
    ]
    assert main([*args, "-o", str(a)]) == 0
    assert main([*args, "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_parser_defaults():
    args = build_parser().parse_args(["report"])
    assert args.log is None and args.out == "report.html" and args.seed == 0


def test_console_script_runs_as_module(tmp_path):
    out = tmp_path / "r.html"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "crmine.cli",
            "report",
            "--n-customers",
            "100",
            "--sections",
            "data-quality",
            "-q",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"wrote {out}\n"
    assert res.stderr == ""


# ----------------------------------------------------------------------------- verbs and inputs


def _rfm_reference(log):
    from crmine.features import TransactionFeatures
    from crmine.schema import clean_transactions

    clean, _ = clean_transactions(log)
    return TransactionFeatures().fit_transform(clean)["monetary_total"]


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("crmine ")


@pytest.mark.parametrize("verb", ["rfm", "tiers", "segments", "churn", "clv", "scores"])
def test_every_customer_verb_writes_one_row_per_customer(tmp_path, capsys, small_log, verb):
    path = tmp_path / "log.parquet"
    small_log.to_parquet(path)
    out = tmp_path / f"{verb}.csv"
    code, stdout, err = _run([verb, str(path), "--out", str(out)], capsys)
    assert code == 0, err
    assert stdout == f"wrote {out}\n"
    table = pd.read_csv(out)
    assert table.columns[0] == "customer_id"
    assert table["customer_id"].is_unique
    assert len(table) == small_log["customer_id"].nunique()
    assert "reading the log" in err  # progress goes to stderr


def test_european_csv_with_bom_semicolon_and_decimal_comma(tmp_path, capsys, small_log):
    path = tmp_path / "eu.csv"
    text = small_log.to_csv(sep=";", decimal=",", index=False)
    path.write_bytes(text.encode("utf-8-sig"))
    code, out, err = _run(["rfm", str(path), "--out", str(tmp_path / "r.csv")], capsys)
    assert code == 0, err
    got = pd.read_csv(tmp_path / "r.csv", index_col="customer_id")["monetary_total"]
    ref = _rfm_reference(small_log)
    np.testing.assert_allclose(got.sort_index().to_numpy(), ref.sort_index().to_numpy())


def test_tab_separated_file_named_csv(tmp_path, capsys, small_log):
    path = tmp_path / "tabs.csv"
    small_log.to_csv(path, sep="\t", index=False)
    code, _, err = _run(["tiers", str(path), "--out", str(tmp_path / "t.json")], capsys)
    assert code == 0, err
    assert len(pd.read_json(tmp_path / "t.json")) == small_log["customer_id"].nunique()


@pytest.mark.parametrize("encoding", ["utf-16", "gbk", "latin-1"])
def test_encodings_with_foreign_column_names(tmp_path, capsys, small_log, encoding):
    names = (
        {"customer_id": "客户", "order_id": "订单", "timestamp": "时间", "item": "商品"}
        if encoding != "latin-1"
        else {
            "customer_id": "Kundennr",
            "order_id": "Beleg",
            "timestamp": "Zeitpunkt",
            "item": "Artikel",
        }
    )
    log = small_log.rename(columns=names)
    if encoding == "latin-1":
        log["Artikel"] = log["Artikel"].replace({"beer": "Bière", "diapers": "Windeln für Babys"})
    path = tmp_path / "enc.csv"
    path.write_bytes(log.to_csv(index=False).encode(encoding))
    flags = [
        "--customer",
        names["customer_id"],
        "--order",
        names["order_id"],
        "--time",
        names["timestamp"],
        "--item",
        names["item"],
    ]
    code, _, err = _run(["rfm", str(path), "--out", str(tmp_path / "r.csv"), *flags], capsys)
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "r.csv")) == small_log["customer_id"].nunique()
    if encoding == "latin-1":
        from crmine.report import read_table

        assert "Bière" in set(read_table(path)["Artikel"])


def test_explicit_sep_encoding_and_decimal(tmp_path, capsys, small_log):
    path = tmp_path / "odd.txt"
    path.write_bytes(small_log.to_csv(sep="|", decimal=",", index=False).encode("cp1252"))
    argv = [
        "rfm",
        str(path),
        "--sep",
        "|",
        "--encoding",
        "cp1252",
        "--decimal",
        ",",
        "--out",
        str(tmp_path / "r.csv"),
    ]
    code, _, err = _run(argv, capsys)
    assert code == 0, err
    bad = _run(["rfm", str(path), "--encoding", "klingon"], capsys)
    assert bad[0] == 2 and "--encoding" in bad[2]


def test_one_basket_per_line_file_gives_rules(tmp_path, capsys):
    lines = ["beer,diapers,chips"] * 30 + ["beer,diapers"] * 20 + ["milk,bread"] * 25
    lines += ["milk"] * 10 + ["bread,butter,milk"] * 15 + ["POSTAGE,beer,diapers"] * 5
    path = tmp_path / "groceries.csv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "rules.csv"
    code, _, err = _run(["rules", str(path), "--out", str(out), "--min-support", "0.05"], capsys)
    assert code == 0, err
    rules = pd.read_csv(out)
    pair = rules.loc[(rules["antecedents"] == "beer") & (rules["consequents"] == "diapers")]
    assert pair["confidence"].iloc[0] == pytest.approx(1.0)
    assert not rules["antecedents"].str.contains("POSTAGE").any()  # not a product
    assert "non-product" in err


def test_one_column_in_two_roles_and_a_log_without_money(tmp_path, capsys):
    # BreadBasket layout: the transaction is both the customer and the order, no prices
    rows = []
    for t in range(1, 121):
        day = pd.Timestamp("2016-10-30") + pd.Timedelta(days=t // 4)
        items = ["Coffee", "Bread"] if t % 2 else ["Coffee", "Pastry", "Tea"]
        rows += [(day.date().isoformat(), f"{9 + t % 8:02d}:15:00", t, it) for it in items]
    path = tmp_path / "BreadBasket_DMS.csv"
    pd.DataFrame(rows, columns=["Date", "Time", "Transaction", "Item"]).to_csv(path, index=False)
    flags = [
        "--customer",
        "Transaction",
        "--order",
        "Transaction",
        "--time",
        "Date,Time",
        "--item",
        "Item",
    ]
    html_out = tmp_path / "r.html"
    code, _, err = _run(["report", str(path), "--out", str(html_out), *flags, "-q"], capsys)
    assert code == 0, err
    page = html_out.read_text()
    basket = page[page.index('id="basket"') : page.index('id="sequences"')]
    assert "skipped" not in basket and "Coffee" in basket
    assert "no money column" in page[page.index('id="rfm"') : page.index('id="pyramid"')]
    code, _, err = _run(["rfm", str(path), *flags], capsys)
    assert code == 2 and "no money column" in err and "--amount" in err
    code, _, err = _run(["rules", str(path), *flags, "--out", str(tmp_path / "x.csv")], capsys)
    assert code == 0, err


def test_log_without_order_column(tmp_path, capsys, small_log):
    # CLVTools apparel layout: Id, Date, Price; one order per customer and day
    bought = small_log.loc[(small_log["quantity"] > 0) & (small_log["price"] > 0)]
    daily = (
        bought.assign(
            Date=small_log["timestamp"].dt.date, Price=small_log["quantity"] * small_log["price"]
        )
        .groupby(["customer_id", "Date"], as_index=False)["Price"]
        .sum()
        .rename(columns={"customer_id": "Id"})
    )
    path = tmp_path / "apparel_trans.csv"
    daily.to_csv(path, index=False)
    flags = ["--customer", "Id", "--time", "Date", "--amount", "Price"]
    code, _, err = _run(["rfm", str(path), *flags, "--out", str(tmp_path / "r.csv")], capsys)
    assert code == 0, err
    got = pd.read_csv(tmp_path / "r.csv", index_col="customer_id")
    counts = daily.groupby("Id").size()
    assert (got["frequency"].sort_index().to_numpy() == counts.sort_index().to_numpy()).all()


def test_all_missing_columns_in_one_message(tmp_path, capsys, small_log):
    path = tmp_path / "log.csv"
    small_log.rename(columns={"customer_id": "cust", "timestamp": "when"}).to_csv(path, index=False)
    code, _, err = _run(["rfm", str(path), "--item", "sku"], capsys)
    assert code == 2
    assert err.count("error:") == 1  # one message
    for part in ("--customer", "--time", "'sku'"):
        assert part in err


@pytest.mark.parametrize(
    "bad_out, words",
    [
        ("missing_dir/x.csv", "does not exist"),
        ("x.docx", "unknown output type"),
        (".", "directory"),
    ],
)
def test_output_is_checked_before_any_work(tmp_path, capsys, monkeypatch, bad_out, words):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["scores", "--n-customers", "50", "--out", bad_out], capsys)
    assert code == 2 and words in err
    assert "reading the log" not in err  # nothing ran


def test_header_only_directory_and_empty_files(tmp_path, capsys):
    header = tmp_path / "header.csv"
    header.write_text("customer_id,order_id,timestamp,amount\n")
    code, _, err = _run(["rfm", str(header)], capsys)
    assert code == 2 and "no data rows" in err
    code, _, err = _run(["rfm", str(tmp_path)], capsys)
    assert code == 2 and "directory" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = _run(["rfm", str(empty)], capsys)
    assert code == 2 and "empty" in err


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_path(tmp_path, capsys, small_log):
    path = tmp_path / "secret.csv"
    small_log.to_csv(path, index=False)
    path.chmod(0)
    code, _, err = _run(["rfm", str(path)], capsys)
    assert code == 2 and "permission" in err.lower()


def test_databases_and_spreadsheets(tmp_path, capsys, small_log):
    import sqlite3

    ref = _rfm_reference(small_log).sort_index().to_numpy()
    log = small_log.assign(timestamp=small_log["timestamp"].astype(str))
    with sqlite3.connect(tmp_path / "shop.db") as con:
        log.to_sql("sales", con, index=False)
        log.head(3).to_sql("other", con, index=False)
    inputs = [["sqlite:///" + str(tmp_path / "shop.db"), "--table", "sales"]]
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect(str(tmp_path / "shop.duckdb"))
    con.register("df", small_log)
    con.execute("CREATE TABLE sales AS SELECT * FROM df")
    con.close()
    inputs += [[str(tmp_path / "shop.duckdb")], ["duckdb:///" + str(tmp_path / "shop.duckdb")]]
    small_log.to_excel(tmp_path / "log.xlsx", index=False)
    inputs += [[str(tmp_path / "log.xlsx")]]
    for argv in inputs:
        out = tmp_path / "r.parquet"
        code, _, err = _run(["rfm", *argv, "--out", str(out)], capsys)
        assert code == 0, (argv, err)
        got = pd.read_parquet(out).set_index("customer_id")["monetary_total"]
        np.testing.assert_allclose(got.sort_index().to_numpy(), ref)
    code, _, err = _run(["rfm", "sqlite:///" + str(tmp_path / "shop.db")], capsys)
    assert code == 2 and "--table" in err  # two tables: name one


def test_exports_are_safe_against_formula_injection(tmp_path, capsys, small_log):
    log = small_log.copy()
    log["item"] = log["item"].replace({"beer": '=HYPERLINK("http://x")', "diapers": "@SUM(A1)"})
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    for out in ("rules.csv", "rules.xlsx"):
        code, _, err = _run(["rules", str(path), "--out", str(tmp_path / out)], capsys)
        assert code == 0, err
        table = (pd.read_csv if out.endswith("csv") else pd.read_excel)(tmp_path / out)
        cells = pd.concat([table["antecedents"], table["consequents"]]).astype(str)
        assert cells.str.contains("HYPERLINK").any()
        assert not cells.str.match(r"^[=+\-@\t\r]").any()


def test_csv_to_standard_output(capsys):
    code, out, err = _run(["tiers", "--n-customers", "80", "-q"], capsys)
    assert code == 0 and err == ""
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == 80


def test_scores_same_seed_same_bytes(tmp_path, capsys):
    outs = []
    for name in ("a.csv", "b.csv"):
        code, _, err = _run(
            ["scores", "--n-customers", "150", "--seed", "3", "-q", "--out", str(tmp_path / name)],
            capsys,
        )
        assert code == 0, err
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]


def test_campaign_verb(tmp_path, capsys):
    camp = make_retail(200, random_state=4).campaign[["customer_id", "treatment", "response"]]
    path = tmp_path / "camp.csv"
    camp.to_csv(path, index=False)
    code, _, err = _run(
        ["campaign", "--campaign", str(path), "--out", str(tmp_path / "c.csv")], capsys
    )
    assert code == 0, err
    table = pd.read_csv(tmp_path / "c.csv", index_col="arm")
    assert table.loc["treated", "customers"] == int(camp["treatment"].sum())


# ----------------------------------------------------------------------------- real public data


@pytest.mark.public_data
def test_breadbasket_from_the_command_line(tmp_path, capsys):
    from conftest import shared_dataset

    path = shared_dataset("breadbasket") / "BreadBasket_DMS.csv"
    flags = [
        "--customer",
        "Transaction",
        "--order",
        "Transaction",
        "--time",
        "Date,Time",
        "--item",
        "Item",
        "-q",
    ]
    raw = pd.read_csv(path)
    # this copy has a damaged date (a NUL byte, read as blank by pandas 2 and kept by pandas 3):
    # refused with the value named, then analysed without that row
    bad = raw["Date"].isna() | raw["Date"].astype(str).str.contains("\x00", regex=False)
    if bad.any():
        code, _, err = _run(["rules", str(path), *flags], capsys)
        assert code == 2 and "timestamp" in err and "Fix" in err
        path = tmp_path / "bread.csv"
        raw.loc[~bad].dropna().to_csv(path, index=False)
    out = tmp_path / "rules.csv"
    code, _, err = _run(
        ["rules", str(path), *flags, "--min-support", "0.01", "-o", str(out)], capsys
    )
    assert code == 0, err
    rules = pd.read_csv(out)
    # the best-known BreadBasket rules end in coffee (bought in about half the baskets)
    assert (rules["consequents"] == "Coffee").any()
    page = tmp_path / "bread.html"
    code, _, err = _run(
        ["report", str(path), *flags, "--sections", "data-quality,rfm,basket", "-o", str(page)],
        capsys,
    )
    assert code == 0, err
    html = page.read_text()
    assert "Coffee" in html[html.index('id="basket"') :]
    assert "no money column" in html


@pytest.mark.public_data
@pytest.mark.slow
def test_groceries_basket_file_gives_the_published_rule(tmp_path, capsys):
    from conftest import shared_dataset

    path = shared_dataset("groceries") / "groceries.csv"
    out = tmp_path / "rules.csv"
    code, _, err = _run(
        [
            "rules",
            str(path),
            "--min-support",
            "0.01",
            "--min-confidence",
            "0.5",
            "-o",
            str(out),
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    rules = pd.read_csv(out)
    # Hahsler's arules example: {citrus fruit, root vegetables} -> other vegetables,
    # support 1.04%, confidence 58.6% on the 9,835 Groceries baskets
    row = rules.loc[
        (rules["antecedents"] == "citrus fruit, root vegetables")
        & (rules["consequents"] == "other vegetables")
    ]
    assert row["support"].iloc[0] == pytest.approx(0.01037, abs=2e-5)
    assert row["confidence"].iloc[0] == pytest.approx(0.5862, abs=1e-3)


@pytest.mark.public_data
def test_apparel_log_without_order_column(tmp_path, capsys):
    from conftest import shared_dataset

    path = shared_dataset("apparel_clvtools") / "apparel_trans.csv"
    out = tmp_path / "rfm.csv"
    code, _, err = _run(
        [
            "rfm",
            str(path),
            "--customer",
            "Id",
            "--time",
            "Date",
            "--amount",
            "Price",
            "-o",
            str(out),
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    assert len(pd.read_csv(out)) == pd.read_csv(path)["Id"].nunique()


def test_missing_inputs_are_reported_before_any_work(tmp_path, capsys, small_log):
    log = tmp_path / "log.parquet"
    small_log.to_parquet(log)
    code, _, err = _run(
        [
            "report",
            str(log),
            "--campaign",
            str(tmp_path / "nope.csv"),
            "-o",
            str(tmp_path / "r.html"),
        ],
        capsys,
    )
    assert code == 2 and "nope.csv" in err and "reading the log" not in err
    code, _, err = _run(["rfm", str(tmp_path / "missing.csv")], capsys)
    assert code == 2 and "not found" in err and "reading the log" not in err
