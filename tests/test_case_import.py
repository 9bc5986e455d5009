"""Bulk import of reports as cases on both databases: routed rows (the output of `gridmap snap`) and unrouted
rows, bad rows set aside by row number without losing the good ones, client ids imported once, the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gridmap.cases import find_duplicate, get_case
from gridmap.cases.bulk_import.importer import import_cases_csv
from gridmap.cli import main
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.store.models import Case, CaseEvent
from tests.accounts import TESTER
from tests.case_helpers import COMPOUND_POINT, LAT, build_city, case_settings, counts


@pytest.fixture
def city(settings: Settings, session: Session, tmp_path):
    ids = build_city(session)
    session.commit()
    return {"ids": ids, "settings": case_settings(settings, tmp_path), "session": session, "dir": tmp_path}


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_errors(path: Path) -> list[tuple[int, str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [(int(r["row"]), r["field"], r["message"]) for r in csv.DictReader(fh)]


def test_unrouted_rows_are_routed_and_bad_rows_set_aside(city) -> None:
    s = city["session"]
    lon_c, lat_c = COMPOUND_POINT
    header = ["lon", "lat", "category", "observed_at", "description", "client_id", "urgency", "source", "crs"]
    rows = [
        [111.14, LAT + 0.0001, "0102", "2026-11-20T09:00:00+08:00", "暴露垃圾", "c-1", "", "", ""],  # row 2
        [lon_c, lat_c, "0507", "2026-11-20 10:00", "乱堆物", "c-2", "urgent", "", ""],  # row 3: naive local time
        ["east", LAT, "0102", "", "", "c-3", "", "", ""],  # row 4: not a number
        [111.14, LAT, "9999", "", "", "c-4", "", "", ""],  # row 5: unknown category
        [111.14, LAT, "0102", "tomorrow", "", "c-5", "", "", ""],  # row 6: bad time
        [111.14, LAT, "0102", "", "", "c-1", "", "", ""],  # row 7: repeats c-1
        [111.14, 95, "0102", "", "", "c-7", "", "", ""],  # row 8: out of range
        [112.9, 38.9, "0102", "", "", "c-8", "", "", ""],  # row 9: far outside the city
        [111.14 + 0.0063, LAT + 0.0007, "0104", "", "", "c-9", "", "public", "gcj02"],  # row 10: GCJ-02, public
        [111.14, LAT, "01", "", "", "c-10", "", "", ""],  # row 11: a class, not a sub-class
        [111.14, LAT, "0102", "", "", "c-11", "soon", "", ""],  # row 12: bad urgency
        [111.14, LAT, "0102", "1999-12-31T23:00:00Z", "", "c-12", "", "", ""],  # row 13: before 2000
    ]
    path = write_csv(city["dir"] / "reports.csv", header, rows)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("111.14,37.52,0102\n")  # row 14: too few fields
    summary = import_cases_csv(s, path, city["settings"], actor=TESTER)
    s.commit()
    assert summary.imported == 3 and summary.routed_here == 3 and summary.skipped == 0, summary
    errors = read_errors(summary.errors)
    assert [(r, f) for r, f, _ in errors] == [
        (4, "lon"), (5, "category"), (6, "observed_at"), (7, "client_id"), (8, "lat"), (9, "lon/lat"),
        (11, "category"), (12, "urgency"), (13, "observed_at"), (14, "row"),
    ]  # fmt: skip
    assert "ISO-8601" in errors[2][2] and "before 2000" in errors[8][2]
    assert "row 2" in errors[3][2] and "9999" in errors[1][2]
    assert summary.bad == 10 and summary.rows == 13
    cases = {c.client_id: c for c in s.scalars(select(Case))}
    assert set(cases) == {"c-1", "c-2", "c-9"}
    assert cases["c-1"].unit_id == city["ids"]["a"] and cases["c-1"].rule == "segment"
    assert cases["c-1"].matched_name == "和平街" and cases["c-1"].status == "open"
    assert cases["c-2"].unit_id == city["ids"]["b"] and cases["c-2"].urgency == "urgent"
    assert cases["c-2"].community_id == city["ids"]["community"]
    assert cases["c-9"].status == "pending" and cases["c-9"].deadline_at is None
    assert abs(cases["c-9"].lon - 111.14) < 0.001  # converted from GCJ-02
    detail = get_case(s, cases["c-2"].id, city["settings"])
    assert detail["observed_at"] == "2026-11-20T10:00:00+08:00"
    assert detail["deadline"] is not None and detail["events"][0]["action"] == "import"
    assert detail["events"][0]["action_zh"] == "批量导入"
    assert detail["events"][0]["data"] == {"row": 3}
    # imported points are in the spatial index (duplicates of them are found), and the index stays maintained
    dup = find_duplicate(s, "0102", 111.14, LAT + 0.0001, cases["c-1"].observed_at.replace(tzinfo=dt.UTC), 50, 7)
    assert dup is not None and dup["id"] == cases["c-1"].id
    if s.get_bind().dialect.name == "sqlite":
        triggers = set(s.scalars(text("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='cases'")))
        assert {"ggi_cases_geom", "tmi_cases_geom", "gii_cases_geom"} <= triggers
        assert s.scalar(text("SELECT count(*) FROM idx_cases_geom")) == 3
        indexes = set(s.scalars(text("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='cases'")))
        assert {"ix_cases_status_deadline", "ix_cases_unit_id", "ix_cases_created_at"} <= indexes  # rebuilt
    # the same file again: the client ids are there already — skipped, nothing doubled
    again = import_cases_csv(s, path, city["settings"], actor=TESTER)
    s.commit()
    assert again.imported == 0 and again.skipped == 3
    assert counts(s) == (3, 3)


def test_routed_file_from_snap_is_imported_as_routed(city) -> None:
    from gridmap.routing.csv_file import snap_csv

    s = city["session"]
    lon_c, lat_c = COMPOUND_POINT
    src = write_csv(
        city["dir"] / "in.csv",
        ["lon", "lat", "category", "client_id"],
        [[111.14, LAT + 0.0001, "0102", "s-1"], [lon_c, lat_c, "0507", "s-2"], ["x", "y", "0102", "s-3"]],
    )
    routed = city["dir"] / "routed.csv"
    snap_csv(s, src, routed, category_col="category")
    summary = import_cases_csv(s, routed, city["settings"], router=_no_router, actor=TESTER)
    s.commit()
    assert summary.imported == 2 and summary.routed_here == 0
    by_client = {c.client_id: c for c in s.scalars(select(Case))}
    assert by_client["s-1"].unit_id == city["ids"]["a"] and by_client["s-1"].matched_kind == "segment"
    assert by_client["s-2"].unit_id == city["ids"]["b"] and by_client["s-2"].rule == "compound"


def _no_router(*_a, **_k):  # pragma: no cover - must not be called for routed rows
    raise AssertionError("routed rows must not be routed again")


def test_bad_routing_columns_are_reported(city) -> None:
    s = city["session"]
    path = write_csv(
        city["dir"] / "routed.csv",
        ["lon", "lat", "category", "unit_id", "rule", "matched_kind", "matched_id", "distance_m", "ambiguous"],
        [
            [111.14, LAT, "0102", city["ids"]["a"], "segment", "segment", city["ids"]["segment"], "3.5", "0"],
            [111.14, LAT, "0102", 424242, "segment", "segment", 1, "3.5", "0"],  # no such unit
            [111.14, LAT, "0102", "abc", "segment", "segment", 1, "3.5", "0"],
            [111.14, LAT, "0102", city["ids"]["a"], "segment", "river", 1, "3.5", "0"],
            [111.14, LAT, "0102", city["ids"]["a"], "segment", "segment", 1, "far", "maybe"],
        ],
    )
    summary = import_cases_csv(s, path, city["settings"], router=_no_router, actor=TESTER)
    assert summary.imported == 1
    assert [(r, f) for r, f, _ in read_errors(summary.errors)] == [
        (3, "unit_id"), (4, "unit_id"), (5, "matched_kind"), (6, "distance_m"),
    ]  # fmt: skip


def test_missing_columns_and_empty_files_are_refused(city) -> None:
    from gridmap.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no 'category' column"):
        import_cases_csv(
            city["session"], write_csv(city["dir"] / "a.csv", ["lon", "lat"], []), city["settings"], actor=TESTER
        )
    empty = city["dir"] / "empty.csv"
    empty.write_text("")
    with pytest.raises(InvalidInput, match="empty"):
        import_cases_csv(city["session"], empty, city["settings"], actor=TESTER)


def test_cli_import(settings: Settings, city, monkeypatch) -> None:
    monkeypatch.setenv("GRIDMAP_INSTANCE", str(city["dir"]))
    path = write_csv(
        city["dir"] / "cli.csv",
        ["lon", "lat", "category", "client_id"],
        [[111.14, LAT + 0.0001, "0102", "k-1"], [111.14, "north", "0102", "k-2"]],
    )
    errors = city["dir"] / "bad.csv"
    runner = CliRunner()
    out = runner.invoke(
        main, ["--database-url", settings.database_url, "cases", "import", str(path), "--errors", str(errors)]
    )
    assert out.exit_code == 0, out.output
    assert "1 cases imported" in out.output and "1 bad" in out.output
    assert read_errors(errors) == [(3, "lat", "is not a number")]
    city["session"].rollback()
    assert counts(city["session"]) == (1, 1)
    listed = runner.invoke(
        main, ["--database-url", settings.database_url, "categories", "list", "--family", "component"]
    )
    assert listed.exit_code == 0 and "BJ0101" in listed.output and "井盖" in listed.output
    changed = runner.invoke(
        main, ["--database-url", settings.database_url, "categories", "set", "BJ0101", "--deadline", "1"]
    )
    assert changed.exit_code == 0 and '"amount": 1.0' in changed.output


def test_a_file_that_is_not_text_is_refused_naming_the_line(settings: Settings, city, monkeypatch) -> None:
    """Bytes that are neither UTF-8 nor GB 18030 (a binary file, a broken export): a clear error with the line and
    byte, no traceback, nothing stored — for `gridmap cases import` and for `gridmap snap` alike."""
    from gridmap.routing.csv_file import snap_csv

    path = city["dir"] / "broken.csv"
    path.write_bytes(b"lon,lat,category\n111.14,37.52,0102\n111.14,37.52,01\x80\xff\n")
    with pytest.raises(InvalidInput, match=r"line 3: byte 0x80 is neither UTF-8 nor GB 18030"):
        import_cases_csv(city["session"], path, city["settings"], actor=TESTER)
    with pytest.raises(InvalidInput, match=r"line 3: byte 0x80"):
        snap_csv(city["session"], path, city["dir"] / "out.csv", category_col="category")
    monkeypatch.setenv("GRIDMAP_INSTANCE", str(city["dir"]))
    out = CliRunner().invoke(main, ["--database-url", settings.database_url, "cases", "import", str(path)])
    assert out.exit_code != 0 and "line 3: byte 0x80" in out.output and "Traceback" not in out.output
    city["session"].rollback()
    assert counts(city["session"]) == (0, 0)


@pytest.mark.parametrize("settings", ["spatialite"], indirect=True)  # the R*Tree is SQLite's own
def test_bulk_import_packs_a_valid_rtree_that_stays_maintained(city) -> None:
    """3,000 rows (a three-level tree) into a table that holds one case: the R*Tree is rebuilt packed, holding
    the old entry and the new ones; SQLite's rtreecheck() and SpatiaLite's CheckSpatialIndex() accept it, window
    queries through it agree with a scan, and later inserts and deletes through the module keep it valid."""
    import numpy as np

    s = city["session"]
    first = write_csv(city["dir"] / "one.csv", ["lon", "lat", "category"], [[111.14, LAT, "0102"]])
    import_cases_csv(s, first, city["settings"], actor=TESTER)
    s.commit()
    rng = np.random.default_rng(5)
    lon = 111.12 + rng.random(3000) * 0.04
    lat = LAT - 0.01 + rng.random(3000) * 0.02
    unit = city["ids"]["a"]
    rows = [
        [f"{x:.6f}", f"{y:.6f}", "0102", "segment", unit, "segment", "", "1.0", "0"]
        for x, y in zip(lon, lat, strict=True)
    ]
    header = ["lon", "lat", "category", "rule", "unit_id", "matched_kind", "matched_id", "distance_m", "ambiguous"]
    path = write_csv(city["dir"] / "many.csv", header, rows)
    assert import_cases_csv(s, path, city["settings"], actor=TESTER).imported == 3000
    s.commit()

    def valid() -> None:
        assert s.scalar(text("SELECT rtreecheck('idx_cases_geom')")) == "ok"
        assert s.scalar(text("SELECT CheckSpatialIndex('cases', 'geom')")) == 1
        window = {"x0": 111.13, "x1": 111.145, "y0": LAT - 0.004, "y1": LAT + 0.003}
        by_index = s.scalars(
            text("SELECT pkid FROM idx_cases_geom WHERE xmin <= :x1 AND xmax >= :x0 AND ymin <= :y1 AND ymax >= :y0"),
            window,
        ).all()
        by_scan = s.scalars(
            text("SELECT id FROM cases WHERE lon BETWEEN :x0 AND :x1 AND lat BETWEEN :y0 AND :y1"), window
        ).all()
        assert sorted(by_index) == sorted(by_scan) and len(by_scan) > 50

    valid()
    assert s.scalar(text("SELECT count(*) FROM idx_cases_geom")) == 3001
    assert s.scalar(text("SELECT rtreedepth(data) FROM idx_cases_geom_node WHERE nodeno = 1")) == 2  # packed
    s.execute(text("UPDATE cases SET duplicate_of = NULL"))  # the dense points link to each other
    s.execute(text("DELETE FROM case_events WHERE case_id % 3 = 0"))
    s.execute(text("DELETE FROM cases WHERE id % 3 = 0"))  # through SpatiaLite's delete trigger
    small = write_csv(city["dir"] / "small.csv", ["lon", "lat", "category"], [[111.141, LAT, "0102"]] * 5)
    assert (
        import_cases_csv(s, small, city["settings"], actor=TESTER).imported == 5
    )  # fewer than the table holds: via the module
    s.commit()
    valid()
    assert s.scalar(text("SELECT count(*) FROM idx_cases_geom")) == s.scalar(text("SELECT count(*) FROM cases"))


@pytest.mark.parametrize(
    ("text", "padded"),
    [
        ("lon,lat\n1,2\n", False),
        ("lon,lat\r\n1,2\r\n", False),
        ("lon,lat\n巡查。发现—“x”°\n", False),
        ("lon,lat\n1, 2\n", True),
        ("lon,lat\n1\t,2\n", True),
        ("lon,lat\n巡查\u3000,2\n", True),
        ("lon,lat\n\xa0x,1\n", True),
        ("lon,lat\nx\u2029,1\n", True),
    ],
)
def test_white_space_is_found_wherever_strip_would_remove_it(text: str, padded: bool) -> None:
    from gridmap.cases.bulk_import.csv_columns import has_white_space

    assert has_white_space(text.encode()) is padded


def test_padded_values_are_stripped(city) -> None:
    s = city["session"]
    path = city["dir"] / "padded.csv"
    path.write_text(f"lon,lat,category,client_id\n 111.14 ,{LAT}\u3000, 0102,\tp-1 \n", encoding="utf-8")
    summary = import_cases_csv(s, path, city["settings"], actor=TESTER)
    assert summary.imported == 1, read_errors(summary.errors) if summary.errors else summary
    case = s.scalars(select(Case)).one()
    assert (case.client_id, case.category, case.lon) == ("p-1", "0102", 111.14)


@pytest.mark.parametrize(
    ("text", "aware"),
    [
        ("2026-11-20T09:00:00+08:00", True),
        ("2026-11-20T01:00:00Z", True),
        ("2026-11-20T01:00:00-0530", True),
        ("2026-11-20 10:00", False),  # local time
        ("2026-11-20", False),  # a date ends in "-11-20", which is no offset
        ("2026-11-20T01:00:00+08", False),
        ("", False),
    ],
)
def test_utc_offsets_are_recognised_without_a_regular_expression_per_row(text: str, aware: bool) -> None:
    import numpy as np

    from gridmap.cases.bulk_import.csv_columns import has_offset

    assert has_offset(np.asarray([text, "2026-11-20"], dtype=object)).tolist() == [aware, False]


@pytest.mark.parametrize("chunk_rows", [100_000, 7])
def test_bulk_duplicate_links_equal_opening_the_rows_one_by_one(city, chunk_rows: int) -> None:
    """Clustered reports imported in bulk are linked exactly as opening them one by one (``open_report``, file
    order) links them: to stored active cases (never to closed or void ones), to earlier rows of the file, and
    through a duplicate to its original — also when the file is streamed in parts of 7 rows (links across the
    parts' boundaries)."""
    import numpy as np

    from gridmap.cases import open_report
    from tests.case_helpers import FakeRouter

    s, settings = city["session"], city["settings"]
    router = FakeRouter(city["ids"]["a"])
    now = dt.datetime(2026, 3, 30, 12, 0, tzinfo=dt.UTC)
    centres = [(111.1400, LAT), (111.1425, LAT + 0.0012), (111.1380, LAT - 0.0015)]
    stored = [("st-1", 0, "0102", "2026-03-10T08:00:00+08:00"), ("st-2", 0, "0102", "2026-03-11T08:00:00+08:00"),
              ("st-3", 1, "0104", "2026-03-12T08:00:00+08:00"), ("st-closed", 2, "0102", "2026-03-15T08:00:00+08:00"),
              ("st-void", 2, "0104", "2026-03-15T09:00:00+08:00")]  # fmt: skip
    for cid, c, cat, t in stored:
        body = {"lon": centres[c][0], "lat": centres[c][1], "category": cat, "observed_at": t, "client_id": cid}
        open_report(s, body, settings, router=router, now=now, actor=TESTER)
    s.execute(text("UPDATE cases SET status = 'closed' WHERE client_id = 'st-closed'"))
    s.execute(text("UPDATE cases SET status = 'void' WHERE client_id = 'st-void'"))
    s.commit()

    rng = np.random.default_rng(11)
    rows = []
    for i in range(160):
        c = rng.integers(0, 3)
        if i > 5 and rng.random() < 0.15:
            lon, lat = rows[rng.integers(0, len(rows))][:2]  # exactly on an earlier report
        else:
            lon = f"{centres[c][0] + (rng.random() - 0.5) * 0.0012:.7f}"  # about ±50 m around the centre
            lat = f"{centres[c][1] + (rng.random() - 0.5) * 0.0009:.7f}"
        day = 1 + int(rng.integers(0, 24))
        observed = f"2026-03-{day:02d}T{int(rng.integers(0, 24)):02d}:00:00+08:00"
        source = "public" if rng.random() < 0.2 else "inspection"
        rows.append([lon, lat, rng.choice(["0102", "0104"]), observed, f"r-{i}", source])
    header = ["lon", "lat", "category", "observed_at", "client_id", "source"]

    def links() -> dict[str, str | None]:
        by_id = dict(s.execute(select(Case.id, Case.client_id)).all())
        return {c.client_id: by_id.get(c.duplicate_of) for c in s.scalars(select(Case)) if c.client_id.startswith("r-")}

    for row in rows:
        open_report(s, dict(zip(header, row, strict=True)), settings, router=router, now=now, actor=TESTER)
    s.commit()
    one_by_one = links()
    s.execute(text("UPDATE cases SET duplicate_of = NULL WHERE client_id LIKE 'r-%'"))
    s.execute(text("DELETE FROM case_events WHERE case_id IN (SELECT id FROM cases WHERE client_id LIKE 'r-%')"))
    s.execute(text("DELETE FROM cases WHERE client_id LIKE 'r-%'"))
    s.commit()

    routed = [[*r, "segment", city["ids"]["a"], "segment", "", "4.2", "0"] for r in rows]
    path = write_csv(city["dir"] / "cluster.csv", [*header, "rule", "unit_id", "matched_kind", "matched_id",
                                                   "distance_m", "ambiguous"], routed)  # fmt: skip
    summary = import_cases_csv(s, path, settings, router=_no_router, now=now, actor=TESTER, chunk_rows=chunk_rows)
    s.commit()
    in_bulk = links()
    assert summary.imported == 160
    assert in_bulk == one_by_one
    targets = [v for v in in_bulk.values() if v]
    assert summary.duplicates == len(targets) and 60 < len(targets) < 160
    st2 = s.scalars(select(Case).where(Case.client_id == "st-2")).one()
    assert by_client_id(s, st2.duplicate_of) == "st-1"  # stored duplicate: rows near it link to its original
    assert {"st-1", "st-3"} <= set(targets) and not {"st-closed", "st-void", "st-2"} & set(targets)
    assert any(v.startswith("r-") for v in targets)  # earlier rows of the file are candidates too
    linked = next(k for k, v in in_bulk.items() if v)
    case = s.scalars(select(Case).where(Case.client_id == linked)).one()
    data = get_case(s, case.id, settings)["events"][0]["data"]
    assert data == {"row": int(linked[2:]) + 2, "duplicate_of": case.duplicate_of}


def by_client_id(s: Session, case_id: int | None) -> str | None:
    return s.scalar(select(Case.client_id).where(Case.id == case_id))


def test_a_history_is_opened_when_observed(city) -> None:
    """``opened_when_observed`` (the demo's year, a backlog): each case is created, its deadline counted and its
    import event dated when its report was observed; a public report still waits without a deadline."""
    s = city["session"]
    header = ["lon", "lat", "category", "observed_at", "client_id", "source"]
    rows = [
        [111.14, LAT, "0102", "2026-03-02T11:00:00+08:00", "h-1", "patrol"],  # 4 working hours → 17:30 (after lunch)
        [111.14, LAT + 0.001, "0103", "2026-03-06T16:00:00+08:00", "h-2", "inspection"],  # 2 working days, Friday
        [111.15, LAT, "0102", "2026-03-03T09:00:00+08:00", "h-3", "public"],
    ]
    path = write_csv(city["dir"] / "history.csv", header, rows)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    summary = import_cases_csv(s, path, city["settings"], actor=TESTER, now=now, opened_when_observed=True)
    assert summary.imported == 3 and summary.bad == 0
    s.commit()

    def utc(t: dt.datetime | None) -> dt.datetime | None:
        return None if t is None else t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)

    got = {
        r.client_id: (utc(r.created_at), utc(r.updated_at), utc(r.deadline_at), r.status, utc(r.at))
        for r in s.execute(
            select(Case.client_id, Case.created_at, Case.updated_at, Case.deadline_at, Case.status, CaseEvent.at).join(
                CaseEvent, CaseEvent.case_id == Case.id
            )
        )
    }
    cst = dt.timezone(dt.timedelta(hours=8))

    def local(s: str) -> dt.datetime:
        return dt.datetime.fromisoformat(s).replace(tzinfo=cst).astimezone(dt.UTC)

    h1, h2, h3 = local("2026-03-02 11:00"), local("2026-03-06 16:00"), local("2026-03-03 09:00")
    assert got["h-1"] == (h1, h1, local("2026-03-02 17:30"), "open", h1)
    assert got["h-2"] == (h2, h2, local("2026-03-10 16:00"), "open", h2)
    assert got["h-3"] == (h3, h3, None, "pending", h3)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_file_streamed_in_parts_names_a_late_bad_row_and_stores_only_good_rows(city, quoted: bool) -> None:
    """A file several parts long (parts of 10 rows): a bad row and a client id repeating one of an earlier part,
    both in the last part, are named by their row numbers and stored nowhere; every good row is stored once with
    its own row in its import event; a row with too few fields is named too. Plain and quoted (csv module) files."""
    s = city["session"]
    rows: list[list[object]] = [[111.14, LAT + i * 0.00001, "0102", f"地址{i}", f"p-{i}"] for i in range(45)]
    rows[41][1] = "north"  # row 43: bad
    rows[43][4] = "p-2"  # row 45: repeats row 4, two parts earlier
    path = write_csv(city["dir"] / "parts.csv", ["lon", "lat", "category", "address", "client_id"], rows)
    text_ = path.read_text(encoding="utf-8")
    if quoted:
        text_ = text_.replace("地址1,", '"地址1, 一号",')
    path.write_text(text_ + "111.14,37.5\n", encoding="utf-8")  # row 47: too few fields
    summary = import_cases_csv(s, path, city["settings"], actor=TESTER, chunk_rows=10)
    s.commit()
    assert summary.errors is not None
    assert read_errors(summary.errors) == [
        (43, "lat", "is not a number"),
        (45, "client_id", "repeats the client_id of row 4"),
        (47, "row", "2 fields where the header has 5"),
    ]
    assert summary.imported == 43 and summary.bad == 3 and summary.rows == 46
    stored = dict(s.execute(select(Case.client_id, Case.id)).all())
    assert len(stored) == 43 and "p-41" not in stored and "p-43" not in stored
    events = dict(s.execute(select(CaseEvent.case_id, CaseEvent.data).where(CaseEvent.action == "import")).all())
    rows_of = {cid: (d if isinstance(d, dict) else json.loads(d))["row"] for cid, d in events.items()}
    assert rows_of[stored["p-44"]] == 46 and rows_of[stored["p-0"]] == 2
    if quoted:
        assert s.scalar(select(Case.address).where(Case.client_id == "p-1")) == "地址1, 一号"


def test_a_file_of_several_parts_links_duplicates_across_parts(city) -> None:
    """Parts of three rows: a row links to the nearest case of its category written two parts before (not to a
    nearer one of another category, nor to one outside the window), a later row near that duplicate links to
    its original, and the nearest of the earlier parts wins; the earlier parts' table goes with the load, and on
    SpatiaLite the R*Tree filled part by part is valid and complete."""
    s, settings = city["session"], city["settings"]
    m = 0.00001  # about 1.1 m of latitude
    x, y = 111.14, LAT
    t = "2026-11-20T09:00:00+08:00"
    rows = [
        [x, y, "0102", t, "a"],  # row 2, part 1: the original
        [x + 0.01, y, "0104", t, "b"],  # row 3
        [x, y + 30 * m, "0102", "2026-11-01T09:00:00+08:00", "old"],  # row 4: 19 days before the others
        [x + 0.02, y, "0102", t, "c"],  # row 5, part 2
        [x, y + 5 * m, "0104", t, "other-category"],  # row 6: nearer to g, another category
        [x + 0.02, y + 20 * m, "0102", t, "d"],  # row 7: near c (same part)
        [x, y + 8 * m, "0102", t, "g"],  # row 8, part 3: a (part 1), 9 m away
        [x + 0.03, y, "0102", t, "e"],  # row 9
        [x + 0.02, y + 10 * m, "0102", t, "f"],  # row 10: c and d 11 m away (part 2); d's original is c
        [x, y + 20 * m, "0102", t, "h"],  # row 11, part 4: g (13 m) nearer than a; g's original is a
        [x, y + 31 * m, "0102", t, "i"],  # row 12: h (12 m) → a
    ]
    path = write_csv(city["dir"] / "parts.csv", ["lon", "lat", "category", "observed_at", "client_id"], rows)
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    summary = import_cases_csv(s, path, settings, actor=TESTER, now=now, chunk_rows=3)
    s.commit()
    assert summary.imported == 11 and summary.bad == 0
    by_id = dict(s.execute(select(Case.id, Case.client_id)).all())
    links = {c: by_id.get(d) for c, d in s.execute(select(Case.client_id, Case.duplicate_of)).all()}
    assert links == {"a": None, "b": None, "old": None, "c": None, "other-category": None, "d": "c", "g": "a",
                     "e": None, "f": "c", "h": "a", "i": "a"}  # fmt: skip
    assert summary.duplicates == 5
    if s.bind.dialect.name == "sqlite":
        assert s.scalar(text("SELECT count(*) FROM sqlite_temp_master WHERE name = 'import_earlier'")) == 0
        assert s.scalar(text("SELECT rtreecheck('idx_cases_geom')")) == "ok"
        assert s.scalar(text("SELECT CheckSpatialIndex('cases', 'geom')")) == 1
        assert s.scalar(text("SELECT count(*) FROM idx_cases_geom")) == 11
