"""Tests of the ``crmine report`` command line."""

from __future__ import annotations

import subprocess
import sys

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
    assert "[1/12]" in captured.err and "Campaign response" in captured.err
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
