"""The ``gridmap`` command: one module per command group. Each parses its arguments, calls one use-case, and prints
the result; :mod:`~.support` holds what they share (settings and engine, errors, a progress bar)."""

from gridmap.cli.accounts import tokens_group, users_group
from gridmap.cli.assessments import assessments_group
from gridmap.cli.backup import backup_cmd, restore_cmd
from gridmap.cli.cases import cases_group
from gridmap.cli.categories import categories_group
from gridmap.cli.database import db, init
from gridmap.cli.grids import grids_group
from gridmap.cli.imports import demo, import_cmd, import_osm_cmd
from gridmap.cli.inspections import inspections_group
from gridmap.cli.main import main
from gridmap.cli.notices import notices_group
from gridmap.cli.patrols import patrols_group
from gridmap.cli.roads import roads_group
from gridmap.cli.roster import roster_group
from gridmap.cli.routing import snap
from gridmap.cli.scorecards import scorecards_group
from gridmap.cli.serve import serve
from gridmap.cli.shops import shops_group
from gridmap.cli.units import people_group, units_group
from gridmap.cli.volunteers import volunteers_group

for command in (init, db, import_cmd, import_osm_cmd, demo, snap, serve, backup_cmd, restore_cmd):
    main.add_command(command)
for group in (categories_group, cases_group, grids_group, roads_group, users_group, tokens_group, units_group,
              people_group, roster_group, inspections_group, shops_group, assessments_group,
              patrols_group, scorecards_group,
              notices_group, volunteers_group):  # fmt: skip
    main.add_command(group)

__all__ = ["main"]
