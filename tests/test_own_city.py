"""The README's "Your own city" chapter, run as printed: its commands (one per line of its ``sh`` block, each given
this test's database) and its tables (written as the workbooks and the CSV it names) — an empty database →
districts/streets/communities from a GeoPackage → roads from the Helsinki OSM extract → unit grids → units, people
and a roster from XLSX files → a report routed to the roster's unit. On SpatiaLite and PostGIS."""

from __future__ import annotations

import csv
import io
import os
import re
import shlex
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyrosm
import shapely
from click.testing import CliRunner

from gridmap.cli import main
from gridmap.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))
WEST, EAST, SOUTH, NORTH, SPLIT = 24.934, 24.955, 60.163, 60.180, 60.171  # around the extract; 社区 split at SPLIT


def chapter() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Your own city\n")
    return text[start : text.index("\n## ", start + 1)]


def block(name: str) -> str:
    """The fenced block after ``<!-- own-city:NAME -->``."""
    found = re.search(rf"<!-- own-city:{re.escape(name)} -->\n```\w*\n(.*?)```", chapter(), re.S)
    assert found, f"the README's chapter has no block {name}"
    return found.group(1)


def _city_gpkg(path: Path) -> None:
    """The GeoPackage the chapter describes: layers districts, streets, communities with code, name, parent."""
    whole = shapely.box(WEST, SOUTH, EAST, NORTH)
    layers = {
        "districts": ([whole], ["990100"], ["示范区"], [None]),
        "streets": ([whole], ["990100001"], ["港湾街道"], ["990100"]),
        "communities": (
            [shapely.box(WEST, SPLIT, EAST, NORTH), shapely.box(WEST, SOUTH, EAST, SPLIT)],
            ["990100001001", "990100001002"], ["北港社区", "南港社区"], ["990100001", "990100001"],
        ),
    }  # fmt: skip
    for layer, (geoms, codes, names, parents) in layers.items():
        frame = gpd.GeoDataFrame({"code": codes, "name": names, "parent": parents}, geometry=geoms, crs="EPSG:4326")
        if layer == "districts":
            frame = frame.drop(columns="parent")
        frame.to_file(path, layer=layer, driver="GPKG")


def _workbook(path: Path, text: str) -> None:
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(text)):
        book.active.append(row)
    for cell in book.active["C"]:
        cell.number_format = "@"  # a grid code stays text, as Excel keeps a column typed as text
    book.save(path)


def test_the_own_city_chapter_runs_as_printed(settings: Settings, engine, tmp_path: Path) -> None:
    commands = [line for line in block("commands").splitlines() if line.strip() and not line.startswith("#")]
    _city_gpkg(tmp_path / "city.gpkg")
    shutil.copy(HELSINKI, tmp_path / "helsinki.osm.pbf")
    for name in ("units.xlsx", "people.xlsx", "roster.xlsx"):
        _workbook(tmp_path / name, block(name))
    (tmp_path / "reports.csv").write_text(block("reports.csv"), encoding="utf-8")
    runner = CliRunner()
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        outputs = []
        for line in commands:
            words = shlex.split(line)
            assert words[0] == "gridmap", line
            result = runner.invoke(main, ["--database-url", settings.database_url, *words[1:]])
            assert result.exit_code == 0, f"{line}\n{result.output}"
            outputs.append(result.output)
    finally:
        os.chdir(here)
    said = dict(zip(commands, outputs, strict=True))
    assert "匹配率 match rate: 100.0% of 6 rows" in said["gridmap roster import roster.xlsx --dry-run"]
    assert "新包联 6" in said["gridmap roster import roster.xlsx"]
    assert "新建人员 4" in said["gridmap roster import roster.xlsx"]  # 李网格 came from people.xlsx
    with (tmp_path / "routed.csv").open(encoding="utf-8-sig") as fh:
        routed = list(csv.DictReader(fh))
    assert len(routed) == 1
    row = routed[0]
    assert (row["unit_name"], row["rule"], row["matched_name"]) == ("市住房和城乡建设局", "compound", "Pääskynen"), row
    assert "市住房和城乡建设局" in chapter() and "`compound` (Pääskynen)" in chapter()
