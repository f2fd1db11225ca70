"""The course data: deterministic, consistent, realistic, loaded into a real MariaDB server."""

import csv
import shutil
from collections import Counter
from pathlib import Path

import pymysql
import pytest

from labctl.cli import main
from labctl.coursedata.generate import generate
from labctl.coursedata.localdb import private_server
from labseat.coursedata import (CourseDataError, Server, checksum, clone, differences,
                                fingerprint, load, prepare)


EXERCISES = Path(__file__).resolve().parents[2] / "docs" / "coursedata-exercises.sql"


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    """A private MariaDB server on a unix socket, started for the tests and stopped after."""
    with private_server(tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@pytest.fixture(scope="session")
def shop(tmp_path_factory):
    out = tmp_path_factory.mktemp("shop")
    manifest = generate(out, seed=11, scale=0.05)
    return out, manifest


def rows(path: Path, table: str):
    with open(path / f"{table}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_same_seed_gives_the_same_files(shop, tmp_path):
    out, manifest = shop
    again = generate(tmp_path / "again", seed=11, scale=0.05)
    assert again.tables == manifest.tables
    other = generate(tmp_path / "other", seed=12, scale=0.05)
    assert other.tables["orders"]["sha256"] != manifest.tables["orders"]["sha256"]


def test_every_reference_points_at_a_row(shop):
    out, _ = shop
    ids = {t: {r[k] for r in rows(out, t)} for t, k in
           (("orders", "order_id"), ("products", "product_id"), ("customers", "customer_id"),
            ("keywords", "keyword_id"), ("categories", "category_id"), ("suppliers", "supplier_id"))}
    paid = {r["order_id"] for r in rows(out, "orders") if r["status"] == "paid"}
    for r in rows(out, "order_items"):
        assert r["order_id"] in ids["orders"] and r["product_id"] in ids["products"]
    for table in ("payments", "shipments", "after_sales"):
        assert {r["order_id"] for r in rows(out, table)} <= paid, table
    assert {r["order_id"] for r in rows(out, "payments")} == paid
    assert {r["customer_id"] for r in rows(out, "orders")} <= ids["customers"]
    for r in rows(out, "sessions"):
        assert r["keyword_id"] == r"\N" or r["keyword_id"] in ids["keywords"]
    assert {r["category_id"] for r in rows(out, "products")} <= ids["categories"]


def test_distributions_look_like_a_real_shop(shop):
    out, _ = shop
    orders = rows(out, "orders")
    revenue = Counter()
    per_day = Counter()
    for o in orders:
        if o["status"] == "paid":
            revenue[o["customer_id"]] += float(o["pay_amount"])
            per_day[o["order_time"][:10]] += 1
    spend = sorted(revenue.values(), reverse=True)
    top = sum(spend[: len(spend) // 5]) / sum(spend)
    assert 0.55 <= top <= 0.9, f"top 20 % of buyers carry {top:.0%} of revenue"
    assert per_day.most_common(1)[0][0] == "2025-11-11"
    median = sorted(per_day.values())[len(per_day) // 2]
    assert per_day["2025-11-11"] > 5 * median
    repeat = sum(1 for c in Counter(o["customer_id"] for o in orders if o["status"] == "paid").values() if c > 1)
    assert 0.2 < repeat / len(revenue) < 0.8
    assert any(o["status"] == "unpaid" for o in orders)
    steps = Counter(s["funnel_step"] for s in rows(out, "sessions"))
    reached = {s: sum(n for k, n in steps.items() if k in later) for s, later in (
        ("visit", {"visit", "detail", "cart", "order", "pay"}), ("detail", {"detail", "cart", "order", "pay"}),
        ("cart", {"cart", "order", "pay"}), ("order", {"order", "pay"}), ("pay", {"pay"}))}
    assert reached["visit"] > reached["detail"] > reached["cart"] > reached["order"] > reached["pay"] > 0
    sales = Counter()
    for line in rows(out, "order_items"):
        sales[line["product_id"]] += int(line["quantity"])
    best = sorted(sales.values(), reverse=True)
    assert sum(best[: len(best) // 5]) / sum(best) > 0.5, "product sales have a long tail"


def test_bad_input_is_one_clear_error(tmp_path, capsys):
    assert main(["coursedata", "generate", "--scale", "enormous", "--out", str(tmp_path / "x")]) == 2
    assert "unknown scale 'enormous'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert main(["coursedata", "generate", "--seed", "-3", "--out", str(tmp_path / "y")]) == 2
    assert "seed -3" in capsys.readouterr().err
    with pytest.raises(CourseDataError, match="cannot reach the MySQL server"):
        Server(unix_socket=str(tmp_path / "nothing.sock")).connect()


def test_load_and_run_every_exercise(mariadb, shop):
    out, manifest = shop
    counts = load(mariadb, out, "shop")
    assert counts == {t: v["rows"] for t, v in manifest.tables.items()}
    conn = mariadb.connect("shop")
    results = {}
    with conn.cursor() as cur:
        for name, sql in exercises():
            cur.execute(sql)
            results[name] = cur.fetchall()
    conn.close()
    assert {r[0] for r in results["rfm_segments"]} >= {"重要价值客户", "一般挽留客户"}
    shares = [float(r[-1]) for r in results["sales_share_by_category"]]
    assert abs(sum(shares) - 100) < 0.5
    funnel = {r[0]: float(r[2]) for r in results["funnel_conversion"]}
    assert 0 < funnel["pay"] < funnel["cart"] < funnel["detail"] <= 100
    assert all(r[-1] is not None for r in results["keyword_roi"])
    assert 0 < float(results["repurchase_rate"][0][-1]) < 100
    assert results["return_rate_by_reason"] and all(float(r[-1]) > 0 for r in results["return_rate_by_reason"])
    assert len(results["sales_by_region"]) >= 5 and len(results["sales_by_channel"]) == 5


def exercises():
    text = EXERCISES.read_text(encoding="utf-8")
    for block in text.split("-- exercise: ")[1:]:
        name, sql = block.split("\n", 1)
        yield name.strip(), sql.strip().rstrip(";")


def test_a_failed_load_leaves_the_database_as_it_was(mariadb, shop, tmp_path):
    out, _ = shop
    load(mariadb, out, "shop_atomic")
    before = checksum(mariadb, "shop_atomic")
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "orders.csv").write_text((broken / "orders.csv").read_text()[:5000])
    with pytest.raises(CourseDataError, match="nothing changed|damaged"):
        load(mariadb, broken, "shop_atomic")
    assert checksum(mariadb, "shop_atomic") == before


def test_student_copies_are_equal_to_the_template_and_private(mariadb, shop):
    out, _ = shop
    load(mariadb, out, "shop")
    for student in ("alice", "bob"):
        clone(mariadb, "shop", f"{student}_shop")
    assert checksum(mariadb, "alice_shop") == checksum(mariadb, "shop")
    conn = mariadb.connect()
    with conn.cursor() as cur:
        for student in ("alice", "bob"):
            cur.execute(f"CREATE OR REPLACE USER '{student}'@'localhost' IDENTIFIED BY 'pw-{student}'")
            cur.execute(f"GRANT ALL ON `{student}\\_%`.* TO '{student}'@'localhost'")
        cur.execute("DELETE FROM alice_shop.after_sales")
    conn.close()
    assert checksum(mariadb, "alice_shop") != checksum(mariadb, "shop")
    clone(mariadb, "shop", "alice_shop")
    assert checksum(mariadb, "alice_shop") == checksum(mariadb, "shop")
    alice = Server(user="alice", password="pw-alice", unix_socket=mariadb.unix_socket).connect()
    with alice.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM alice_shop.orders")
        assert cur.fetchone()[0] > 0
        with pytest.raises(pymysql.err.OperationalError, match="denied"):
            cur.execute("SELECT COUNT(*) FROM bob_shop.orders")
        with pytest.raises(pymysql.err.OperationalError, match="denied"):
            cur.execute("SELECT COUNT(*) FROM shop.orders")
    alice.close()


def test_a_clone_leaves_nothing_of_what_a_student_made_and_the_fingerprint_shows_it(mariadb, shop):
    out, _ = shop
    load(mariadb, out, "shop")
    clone(mariadb, "shop", "carol_shop")
    template = fingerprint(mariadb, "shop")
    assert differences(template, fingerprint(mariadb, "carol_shop")) == []
    conn = mariadb.connect()
    with conn.cursor() as cur:  # what a student practising SQL makes in their own copy
        for sql in ("CREATE VIEW carol_shop.big_orders AS SELECT * FROM carol_shop.orders",
                    "CREATE PROCEDURE carol_shop.report() SELECT 1",
                    "CREATE TRIGGER carol_shop.t BEFORE INSERT ON carol_shop.payments "
                    "FOR EACH ROW SET @n = 1",
                    "CREATE TABLE carol_shop.scratch (x INT)",
                    "CREATE INDEX by_status ON carol_shop.orders (status)",
                    "DROP TABLE carol_shop.after_sales",
                    "CREATE VIEW shop.teacher_view AS SELECT COUNT(*) AS n FROM shop.orders"):
            cur.execute(sql)
    made = differences(template, fingerprint(mariadb, "carol_shop"))
    for what in ("extra view big_orders", "extra procedure report", "extra trigger t",
                 "extra base table scratch", "extra index orders.by_status",
                 "missing base table after_sales", "changed rows after_sales"):
        assert what in made
    clone(mariadb, "shop", "carol_shop")
    assert differences(template, fingerprint(mariadb, "carol_shop")) == []
    load(mariadb, out, "shop")  # a reload keeps the teacher's view, over the new tables
    with conn.cursor() as cur:
        cur.execute("SELECT n FROM shop.teacher_view")
        assert cur.fetchone()[0] > 0
        cur.execute("DROP VIEW shop.teacher_view")
    conn.close()


def test_a_prepared_copy_is_moved_in_whole_and_a_partial_one_is_not_used(mariadb, shop):
    out, _ = shop
    load(mariadb, out, "shop")
    template = fingerprint(mariadb, "shop")
    student = "d" * 43 + "_shop"  # the longest name a course database takes: 48
    prepared = f"_next_{student}"
    prepare(mariadb, "shop", prepared)
    assert differences(template, fingerprint(mariadb, prepared)) == []
    clone(mariadb, "shop", student)
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute(f"CREATE VIEW {student}.v AS SELECT 1")
        cur.execute(f"DELETE FROM {prepared}.after_sales")  # what the copy holds is what moves in
    clone(mariadb, "shop", student, prepared=prepared)
    assert "changed rows after_sales" in differences(template, fingerprint(mariadb, student))
    assert "extra view v" not in differences(template, fingerprint(mariadb, student))
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES")
        assert prepared not in {row[0] for row in cur.fetchall()}, "the copy was moved, not left"
    prepare(mariadb, "shop", prepared)
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE {prepared}.after_sales")
    conn.close()
    clone(mariadb, "shop", student, prepared=prepared)  # partial: the template is copied now
    assert differences(template, fingerprint(mariadb, student)) == []
    with pytest.raises(CourseDataError, match="48 at most"):
        clone(mariadb, "shop", "e" * 49)


def test_wrong_credentials_are_one_clear_error(mariadb):
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE OR REPLACE USER 'teacher'@'localhost' IDENTIFIED BY 'right'")
    conn.close()
    with pytest.raises(CourseDataError, match="refused user 'teacher' \\(wrong password\\?\\)"):
        Server(user="teacher", password="wrong", unix_socket=mariadb.unix_socket).connect()


def test_export_for_spreadsheets(shop, tmp_path):
    out, manifest = shop
    assert main(["coursedata", "export", "--data", str(out), "--format", "xlsx",
                 "--out", str(tmp_path / "shop.xlsx")]) == 0
    import openpyxl
    book = openpyxl.load_workbook(tmp_path / "shop.xlsx", read_only=True)
    assert "orders" in book.sheetnames and "customers" in book.sheetnames
    sheet = book["orders"]
    assert next(sheet.iter_rows(max_row=1, values_only=True))[0] == "order_id"
    assert main(["coursedata", "export", "--data", str(out), "--format", "csv",
                 "--out", str(tmp_path / "csv")]) == 0
    assert (tmp_path / "csv" / "orders.csv").read_text(encoding="utf-8-sig").startswith("order_id")
