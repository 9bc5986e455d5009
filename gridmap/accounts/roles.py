"""The roles of DOMAIN.md and issue 11, their names, and what each may read beyond the map.

What each role may *do* is declared where it is done: a route's rule (:mod:`gridmap.web.auth`), a case action's
roles (:data:`gridmap.cases.states.ACTIONS`).
"""

from __future__ import annotations

from gridmap.accounts.actor import Actor
from gridmap.store.models import AccountRole as R

ROLE_NAMES: dict[str, tuple[str, str]] = {
    R.ADMIN: ("系统管理员", "Administrator"),
    R.COMMANDER: ("指挥长", "Commander"),
    R.DISPATCHER: ("派遣员", "Dispatcher"),
    R.UNIT_CLERK: ("包联单位联络员", "Unit clerk"),
    R.GRID_WORKER: ("网格员", "Grid worker"),
    R.INSPECTOR: ("督查员", "Inspector"),
    R.VIEWER: ("只读用户", "Viewer"),
}
"""Each role's name in Chinese and English."""

assert set(ROLE_NAMES) == set(R)

SEES_CONTACTS = (R.ADMIN, R.COMMANDER, R.DISPATCHER)
"""Who sees people's phone numbers and reporters' names (a unit clerk: those of their own unit's people)."""

SEES_PEOPLE = tuple(R)
"""Who sees people's names — the people responsible, who took each step of a case — as opposed to the public, who
sees a report's status and the unit's name only (issue 11). Phone numbers: :data:`SEES_CONTACTS`."""

SEES_PHOTOS = (R.COMMANDER, R.DISPATCHER, R.UNIT_CLERK, R.GRID_WORKER, R.INSPECTOR)
"""Who may see a case's photos (within their scope; a unit clerk: their unit's cases)."""

MANAGES_ACCOUNTS = (R.ADMIN,)
EDITS_CATALOGUE = (R.ADMIN,)  # categories and the working calendar
ASSIGNS = (R.COMMANDER,)  # responsibility: assign, end
EDITS_UNITS = (R.ADMIN, R.COMMANDER)  # the register of units and people: create, edit, retire, merge
READS_AUDIT = (R.ADMIN, R.COMMANDER)
EDITS_SHOPS = (R.ADMIN, R.COMMANDER)  # 门前五包: the shop registry, letters, scoring a month
ASSESSES = (R.COMMANDER, R.INSPECTOR)  # mock assessments 模拟测评: draw, score
EDITS_SCHEMES = (R.ADMIN,)  # evaluation schemes: indicators, weights, grades (data, versioned)
READS_SCHEMES = (R.ADMIN, R.COMMANDER)  # the schemes page (/admin/schemes): a commander reads what scores them
PUBLISHES_SCORES = (R.ADMIN, R.COMMANDER)  # freezing a period's scorecard
REPORTS = (R.COMMANDER, R.DISPATCHER, R.GRID_WORKER, R.INSPECTOR, R.UNIT_CLERK)  # opens reports with an account
OPENS_INSPECTIONS = (R.INSPECTOR, R.COMMANDER)  # 明查暗访: open an inspection
RECORDS_FINDINGS = (R.INSPECTOR,)  # the inspection team's findings, on a phone
PUBLISHES_INSPECTIONS = (R.COMMANDER,)  # hands the problem list to the units (a covert one becomes visible)
EDITS_CHECKLISTS = (R.ADMIN,)  # the checklist templates
WORKS_CASES = (R.COMMANDER, R.DISPATCHER, R.UNIT_CLERK, R.GRID_WORKER, R.INSPECTOR)  # some step of the loop
READS_NOTICES = (R.ADMIN, R.COMMANDER, R.DISPATCHER, R.VIEWER)  # the notice 通报: preview, archive, PDF/XLSX
PUBLISHES_NOTICES = (R.ADMIN, R.COMMANDER)  # freezing a notice: the same people who publish scorecards
PUBLISHES_POSTS = (R.COMMANDER,)  # 在职党员进社区: the community (a commander scoped to it) publishes posts 岗位
CONFIRMS_SERVICE = (R.COMMANDER, R.GRID_WORKER)  # confirms a member's service (the community's staff, in scope)
RATES_MEMBERS = (R.COMMANDER,)  # the organisation's quarterly score 组织评价 of the members of its communities


def sees_contacts(actor: Actor, unit_id: int | None = None) -> bool:
    """May ``actor`` see phone numbers and reporters (of a person of ``unit_id``, when given)?"""
    if actor.has(*SEES_CONTACTS):
        return True
    return actor.role == R.UNIT_CLERK and unit_id is not None and unit_id == actor.scope_unit_id


def role_name(role: str, lang: str) -> str:
    zh, en = ROLE_NAMES.get(role, (role, role))
    return en if lang == "en" else zh
