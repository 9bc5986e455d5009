"""The pages' menu: which pages it links, in what order, under which words and in which group. Who sees a link is
not said here: a signed-in person sees the links of the pages their role may open (each page's own rule,
:mod:`gridmap.web.auth`), so the menu and the rules cannot disagree. A commander may open some fifteen
pages: on a desktop they are grouped (地图, 包联, 巡查考评, 考核, 管理) into drop-down menus so the bar stays one
line; a group left with one link for a role is shown as that link."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import Flask, url_for
from flask_login import current_user

from gridmap.web.auth import PUBLIC, rule_of
from gridmap.web.i18n import translate


class NavLink(NamedTuple):
    endpoint: str
    label: str  # an i18n key
    element_id: str | None = None  # what the tests and the page scripts find it by
    group: str | None = None  # an i18n key: the drop-down menu it sits in (None: on the bar itself)


NAV: tuple[NavLink, ...] = (
    # 我的待办 comes first, drawn by base.html itself (it carries the queue's count)
    NavLink("mygrid.mygrid_page", "mygrid_page"),
    NavLink("patrols.patrol_page", "patrol_page", "nav-patrol"),
    NavLink("maps.coverage_map", "coverage_map", group="nav_maps"),
    NavLink("command.heatmap_page", "heatmap_page", group="nav_maps"),
    NavLink("command.assign_page", "assign_page", group="nav_duty"),
    NavLink("command.gaps_page", "gaps_page", group="nav_duty"),
    NavLink("roster.roster_page", "roster_nav", group="nav_duty"),
    NavLink("units_admin.units_page", "units_admin_page", group="nav_duty"),
    NavLink("inspections.inspections_page", "inspections_page", "nav-inspections", group="nav_field"),
    NavLink("assessments.list_page", "assess_page", group="nav_field"),
    NavLink("patrols.coverage_page", "patrols_page", group="nav_field"),
    NavLink("volunteers.my_page", "vol_my_page", "nav-volunteer", group="nav_field"),
    NavLink("volunteers.community_page", "vol_community_page", group="nav_field"),
    NavLink("inspections.checklists_page", "insp_checklists", group="nav_field"),
    NavLink("rankings.rankings_page", "rankings_page", group="nav_scores"),
    NavLink("notices.notices_page", "notices_page", group="nav_scores"),
    NavLink("shops.shops_page", "shops_page", group="nav_scores"),
    NavLink("volunteers.ranking_page", "vol_ranking_page", group="nav_scores"),
    NavLink("schemes.schemes_page", "schemes_page", group="nav_admin"),
    NavLink("accounts.audit_page", "audit_page", group="nav_admin"),
    NavLink("accounts.accounts_page", "accounts_page", group="nav_admin"),
)


def register(app: Flask) -> None:
    def nav_links(lang: str) -> list[dict[str, Any]]:
        """The menu for the signed-in person (empty for the public): entries in order, each a link (``href``,
        ``text``, ``id``) or a group (``group``: its words, ``links``) of two or more links."""
        if not current_user.is_authenticated:
            return []
        role = current_user.role
        entries: list[dict[str, Any]] = []
        groups: dict[str, dict[str, Any]] = {}
        for link in NAV:
            if link.endpoint not in app.view_functions:
                continue
            rule = rule_of(app, link.endpoint)
            if role not in rule and PUBLIC not in rule:
                continue
            item = {"href": url_for(link.endpoint), "text": translate(link.label, lang), "id": link.element_id}
            if link.group is None:
                entries.append(item)
            elif link.group in groups:
                groups[link.group]["links"].append(item)
            else:
                groups[link.group] = {"group": translate(link.group, lang), "key": link.group, "links": [item]}
                entries.append(groups[link.group])
        return [e["links"][0] if "links" in e and len(e["links"]) == 1 else e for e in entries]

    app.jinja_env.globals["nav_links"] = nav_links
