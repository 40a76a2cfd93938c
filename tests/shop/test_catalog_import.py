"""The merchant catalog import: validation by line/item, and an idempotent upsert."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shop.catalog_import import main, parse_csv, read_catalog, variant_sku
from shop.db import models as m
from tests.conftest import Db

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "docs" / "sample-catalog.csv"
HEADER = "sku,name,brand,category,price,description,materials,size,color,stock,image_url\n"


def _counts(db: Db) -> tuple[int, int, int]:
    with db.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(m.Product)),
            s.scalar(select(func.count()).select_from(m.ProductVariant)),
            s.scalar(select(func.count()).select_from(m.Category)),
        )


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_csv_imports_then_reimport_is_unchanged_and_edits_update(
    db: Db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, str(SAMPLE), "--url", db.url)
    assert code == 0, err
    assert "3 products (3 created, 0 updated, 0 unchanged)" in out
    assert "6 variants (6 created, 0 updated, 0 unchanged)" in out
    assert "3 new categories" in out
    assert _counts(db) == (3, 6, 3)
    with db.sessions() as s:
        shoe = s.scalars(select(m.Product).where(m.Product.sku == "TRL-1001")).one()
        assert shoe.stock == 20 and shoe.price == Decimal("89.99") and shoe.brand == "Nimbus"
        assert shoe.category_id is not None
        assert {v.sku for v in shoe.variants} == {
            "TRL-1001-9-BLACK",
            "TRL-1001-10-BLACK",
            "TRL-1001-10-NAVY-BLUE",
        }

    code, out, _ = _run(capsys, str(SAMPLE), "--url", db.url)
    assert code == 0
    assert "3 products (0 created, 0 updated, 3 unchanged)" in out
    assert "6 variants (0 created, 0 updated, 6 unchanged)" in out
    assert _counts(db) == (3, 6, 3)

    edited = SAMPLE.read_text().replace("89.99", "79.99").replace(",9,Black,12,", ",9,Black,2,")
    path = tmp_path / "edited.csv"
    path.write_text(edited + "TRL-1001,Ridgeline Trail Runner,Nimbus,Trail Running Shoes,79.99,"
                    '"Grippy, light trail shoe for rocky paths.",Mesh upper; rubber outsole,11,Black,1,'
                    "https://example.com/img/trl-1001.jpg\n")  # fmt: skip
    code, out, _ = _run(capsys, str(path), "--url", db.url)
    assert code == 0
    assert "3 products (0 created, 1 updated, 2 unchanged)" in out
    assert "7 variants (1 created, 1 updated, 5 unchanged)" in out
    with db.sessions() as s:
        shoe = s.scalars(select(m.Product).where(m.Product.sku == "TRL-1001")).one()
        assert shoe.price == Decimal("79.99") and shoe.stock == 2 + 8 + 0 + 1


def test_bad_csv_rows_are_each_reported_by_line_and_nothing_is_written(
    db: Db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "AB-100,Good Tee,Acme,Tees,10.00,,,M,Red,3,\n"  # line 2: fine
        + "AB-101,Tee,Acme,Tees,-5,,,M,Red,3,\n"  # line 3: price
        + "AB-102,Tee,Acme,Tees,9.999,,,M,Red,x,\n"  # line 4: price decimals + stock
        + "a!,,Acme,Tees,1,,,M,Red,1,\n"  # line 5: sku shape + name required
        + "\n"  # line 6: blank, skipped
        + "AB-100,Good Tee,Acme,Tees,12.00,,,L,Red,3,\n"  # line 7: price differs from line 2
        + "AB-100,Good Tee,Acme,Tees,10.00,,,M,red,1,\n"  # line 8: duplicate variant of line 2
        + '"AB-103","multi\nline",Acme,Tees,1,,,S,,-1,\n'  # line 9-10: stock negative
        + "AB-104,Tee,Acme,Tees,1,,,S\n"  # line 11: short row
        + f"AB-105,{'x' * 201},Acme,Tees,1,,,S,,1,\n"  # line 12: name too long
    )
    code, out, err = _run(capsys, str(path), "--url", db.url)
    assert code == 1 and out == ""
    lines = err.splitlines()
    expected_prefixes = [
        "line 3: price:",
        "line 4: price:",
        "line 4: stock:",
        "line 5: sku:",
        "line 5: name: required",
        "line 7: price: differs from line 2",
        "line 8: size/color: variant AB-100-M-RED already defined at line 2",
        "line 9: stock:",
        "line 11: row:",
        "line 12: name: too long",
    ]
    assert len(lines) == len(expected_prefixes) + 1, err
    for line, prefix in zip(lines, expected_prefixes, strict=False):
        assert line.startswith(prefix), (line, prefix)
    assert "more than 2 decimals" in lines[1] and "must be positive" in lines[0]
    assert "nothing written" in lines[-1]
    assert _counts(db) == (0, 0, 0)


def test_json_catalog_imports_and_reports_bad_items(
    db: Db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [
        {
            "sku": "JK-500",
            "name": "Storm Shell",
            "brand": "Summit",
            "category": "Rain Jackets",
            "price": 129.5,
            "description": "Waterproof shell.",
            "materials": "Nylon",
            "variants": [
                {"size": "M", "color": "Black", "stock": 4},
                {"size": "L", "color": "Black", "stock": 1},
            ],
        },
        {
            "sku": "CAP-1",
            "name": "Cap",
            "brand": "Acme",
            "category": "Hats",
            "price": "15",
            "variants": [{"stock": 9}],
        },
    ]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(good))
    code, out, err = _run(capsys, str(path), "--url", db.url)
    assert code == 0, err
    assert "2 products (2 created" in out and "3 variants (3 created" in out
    code, out, _ = _run(capsys, str(path), "--url", db.url)
    assert "2 products (0 created, 0 updated, 2 unchanged)" in out
    with db.sessions() as s:
        jacket = s.scalars(select(m.Product).where(m.Product.sku == "JK-500")).one()
        assert jacket.price == Decimal("129.50") and jacket.stock == 5

    bad = [
        {**good[0], "price": 0.001},
        {**good[1], "variants": []},
        {**good[1], "sku": "CAP-2", "colour": "red", "variants": [{"size": "M", "stock": -2}]},
        {**good[0]},  # duplicate sku of item 1
        "not an object",
    ]
    path.write_text(json.dumps(bad))
    code, out, err = _run(capsys, str(path), "--url", db.url)
    assert code == 1
    lines = err.splitlines()[:-1]
    assert lines[0].startswith("item 1: price:")
    assert lines[1].startswith("item 2: variants:")
    assert lines[2] == "item 3: colour: unknown field"
    assert lines[3].startswith("item 3 variant 1: stock:")
    assert lines[4] == "item 4: sku: JK-500 already used by item 1"
    assert lines[5] == "item 5: item: must be an object"
    with db.sessions() as s:
        assert s.scalars(select(m.Product.price).where(m.Product.sku == "JK-500")).one() == Decimal("129.50")
    assert _counts(db) == (2, 3, 2)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "file is empty"),
        ("blank.csv", b"  \n\n", "file is empty"),
        ("header-only.csv", HEADER.encode(), "no rows after the header"),
        ("latin1.csv", (HEADER + "AB-100,Caf\xe9 Tee,Acme,Tees,1,,,M,,1,\n").encode("latin-1"), "not UTF-8"),
        ("utf16.csv", (HEADER + "AB-100,Tee,Acme,Tees,1,,,M,,1,\n").encode("utf-16"), "not UTF-8"),
        ("cols.csv", b"sku,title,price\nAB-1,x,1\n", "missing column(s) name, brand, category, stock"),
        ("broken.json", b'[{"sku": "AB-1",', "not valid JSON"),
        ("object.json", b'{"sku": "AB-1"}', "must be a list of products"),
        ("none.json", b"[]", "no products"),
    ],
)
def test_unreadable_files_get_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = _run(capsys, str(path), "--url", f"sqlite:///{tmp_path / 'unused.db'}")
    assert code == 1 and out == ""
    assert message in err
    assert not (tmp_path / "unused.db").exists()


def test_utf8_bom_and_dry_run(db: Db, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes((HEADER + "ab-100,Café Tee,Acme,Tees,1.5,,,M,,1,\n").encode("utf-8-sig"))
    products, errors = read_catalog(path)
    assert errors == [] and products[0].sku == "AB-100" and products[0].name == "Café Tee"
    code, out, _ = _run(capsys, str(path), "--url", db.url, "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written: would import 1 products (1 created")
    assert _counts(db) == (0, 0, 0)


def test_variant_sku_is_normalised() -> None:
    assert variant_sku("AB-1", "10.5", "Navy Blue") == "AB-1-10-5-NAVY-BLUE"
    assert variant_sku("AB-1", None, "Red") == "AB-1-RED"
    assert variant_sku("AB-1", None, None) == "AB-1-STD"


def test_prices_keep_the_currencys_cents_and_refuse_more() -> None:
    rows = ["AB-101,Tee,Acme,Tees,19.9,,,,,1,", "AB-102,Tee,Acme,Tees,20,,,,,1,",
            "AB-103,Tee,Acme,Tees,1e2,,,,,1,", "AB-104,Tee,Acme,Tees,19.999,,,,,1,",
            "AB-105,Tee,Acme,Tees,NaN,,,,,1,", "AB-106,Tee,Acme,Tees,-1,,,,,1,",
            "AB-107,Tee,Acme,Tees,$5,,,,,1,"]  # fmt: skip
    products, errors = parse_csv(HEADER + "\n".join(rows) + "\n")
    assert {p.sku: str(p.price) for p in products} == {
        "AB-101": "19.90",
        "AB-102": "20.00",
        "AB-103": "100.00",
    }
    assert [str(e) for e in errors] == [
        "line 5: price: 19.999 has more than 2 decimals",
        "line 6: price: 'NaN' is not a number",
        "line 7: price: -1 must be positive",
        "line 8: price: '$5' is not a number",
    ]


def test_import_command_runs_as_the_docs_write_it(db: Db) -> None:
    # docs/catalog-import.md: python -m shop.catalog_import docs/sample-catalog.csv [--dry-run] [--url]
    command = [sys.executable, "-m", "shop.catalog_import", "docs/sample-catalog.csv", "--url", db.url]
    dry = subprocess.run([*command, "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("dry run, nothing written: would import 3 products (3 created")
    assert _counts(db) == (0, 0, 0)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "imported 3 products (3 created, 0 updated, 0 unchanged), "
        "6 variants (6 created, 0 updated, 0 unchanged), 3 new categories"
    )
    assert _counts(db) == (3, 6, 3)


def _name_zh(db: Db, sku: str) -> str | None:
    with db.sessions() as s:
        return s.scalars(select(m.Product.name_zh).where(m.Product.sku == sku)).one()


def test_csv_name_zh_is_stored_kept_when_the_column_is_absent_and_cleared_when_blank(
    db: Db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = HEADER.rstrip("\n") + ",name_zh\n"
    row = "TRL-2001,Ridgeline Trail Runner,Nimbus,Running Shoes,89.99,,,9,Black,4,,{zh}\n"
    path = tmp_path / "zh.csv"
    path.write_text(
        header
        + row.format(zh="Ridgeline 越野跑鞋")
        + row.replace(",9,", ",10,").format(zh="Ridgeline 越野跑鞋")
    )
    code, out, err = _run(capsys, str(path), "--url", db.url)
    assert code == 0, err
    assert "1 products (1 created" in out
    assert _name_zh(db, "TRL-2001") == "Ridgeline 越野跑鞋"

    # A file without the column leaves the stored Chinese name as it is.
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "TRL-2001,Ridgeline Trail Runner,Nimbus,Running Shoes,89.99,,,9,Black,4,\n")
    code, out, err = _run(capsys, str(plain), "--url", db.url)
    assert code == 0, err
    assert "1 products (0 created, 0 updated, 1 unchanged)" in out
    assert _name_zh(db, "TRL-2001") == "Ridgeline 越野跑鞋"

    # A blank value clears it; rows of one product must agree on it.
    path.write_text(header + row.format(zh=""))
    assert _run(capsys, str(path), "--url", db.url)[0] == 0
    assert _name_zh(db, "TRL-2001") is None
    path.write_text(header + row.format(zh="越野跑鞋") + row.replace(",9,", ",10,").format(zh="跑鞋"))
    code, _, err = _run(capsys, str(path), "--url", db.url)
    assert code != 0 and "line 3: name_zh: differs from line 2" in err
    assert _name_zh(db, "TRL-2001") is None


def test_json_name_zh_is_stored_and_checked(
    db: Db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    item = {
        "sku": "TNT-9",
        "name": "Acme Widget Tent",
        "name_zh": "Acme 神奇帐篷",
        "brand": "Acme",
        "category": "Tents",
        "price": "199",
        "variants": [{"stock": 3}],
    }
    path = tmp_path / "zh.json"
    path.write_text(json.dumps([item, {**item, "sku": "TNT-10", "name_zh": "长" * 201}], ensure_ascii=False))
    code, _, err = _run(capsys, str(path), "--url", db.url)
    assert code != 0 and "item 2: name_zh: too long (201 characters, at most 200)" in err
    path.write_text(json.dumps([item], ensure_ascii=False))
    code, _, err = _run(capsys, str(path), "--url", db.url)
    assert code == 0, err
    assert _name_zh(db, "TNT-9") == "Acme 神奇帐篷"
