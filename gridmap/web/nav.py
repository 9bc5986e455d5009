"""The pages' menu: which pages it links, in what order, under which words. Who sees a link is not said here: a
signed-in person sees the links of the pages their role may open (each page's own rule, :mod:`gridmap.web.auth`),
so the menu and the rules cannot disagree."""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask, url_for
from flask_login import current_user

from gridmap.web.auth import PUBLIC, rule_of
from gridmap.web.i18n import translate


class NavLink(NamedTuple):
    endpoint: str
    label: str  # an i18n key
    element_id: str | None = None  # what the tests and the page scripts find it by


NAV: tuple[NavLink, ...] = (
    # 我的待办 comes first, drawn by base.html itself (it carries the queue's count)
    NavLink("mygrid.mygrid_page", "mygrid_page"),
    NavLink("patrols.patrol_page", "patrol_page", "nav-patrol"),
    NavLink("maps.coverage_map", "coverage_map"),
    NavLink("command.assign_page", "assign_page"),
    NavLink("command.gaps_page", "gaps_page"),
    NavLink("command.heatmap_page", "heatmap_page"),
    NavLink("rankings.rankings_page", "rankings_page"),
    NavLink("notices.notices_page", "notices_page"),
    NavLink("inspections.inspections_page", "inspections_page", "nav-inspections"),
    NavLink("assessments.list_page", "assess_page"),
    NavLink("patrols.coverage_page", "patrols_page"),
    NavLink("shops.shops_page", "shops_page"),
    NavLink("accounts.audit_page", "audit_page"),
    NavLink("units_admin.units_page", "units_admin_page"),
    NavLink("roster.roster_page", "roster_nav"),
    NavLink("inspections.checklists_page", "insp_checklists"),
    NavLink("accounts.accounts_page", "accounts_page"),
)


def register(app: Flask) -> None:
    def nav_links(lang: str) -> list[dict[str, str | None]]:
        """The menu's links for the signed-in person (none for the public)."""
        if not current_user.is_authenticated:
            return []
        role = current_user.role
        return [
            {"href": url_for(link.endpoint), "text": translate(link.label, lang), "id": link.element_id}
            for link in NAV
            if link.endpoint in app.view_functions and (role in (rule := rule_of(app, link.endpoint)) or PUBLIC in rule)
        ]

    app.jinja_env.globals["nav_links"] = nav_links
