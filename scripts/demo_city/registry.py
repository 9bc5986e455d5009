"""Step 8, the registry (all invented): responsible units (city and district offices, enterprises, 街道办事处 and
社区居委会), their staff with names and phone numbers, and the assignments of segments, compounds and grids, with
history, gaps and periods about to lapse on the reference date."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np

from .config import TODAY, rng_for

CITY_OFFICES = [
    "吕梁市人民政府办公室", "中共吕梁市委宣传部", "吕梁市发展和改革委员会", "吕梁市教育局", "吕梁市工业和信息化局",
    "吕梁市公安局", "吕梁市民政局", "吕梁市司法局", "吕梁市财政局", "吕梁市人力资源和社会保障局",
    "吕梁市自然资源局", "吕梁市生态环境局", "吕梁市住房和城乡建设局", "吕梁市城市管理局", "吕梁市交通运输局",
    "吕梁市水利局", "吕梁市农业农村局", "吕梁市商务局", "吕梁市文化和旅游局", "吕梁市卫生健康委员会",
    "吕梁市退役军人事务局", "吕梁市应急管理局", "吕梁市审计局", "吕梁市市场监督管理局", "吕梁市医疗保障局",
    "吕梁市行政审批服务管理局", "吕梁市人民医院", "吕梁学院",
]  # fmt: skip
DISTRICT_OFFICES = [
    "离石区人民政府办公室", "离石区创建全国文明城市指挥部办公室", "离石区城市管理局", "离石区教育局",
    "离石区住房和城乡建设局", "离石区民政局", "离石区财政局", "离石区卫生健康和体育局", "离石区市场监督管理局",
    "离石区交通运输局", "离石区农业农村局", "离石区水利局", "离石区文化和旅游局", "离石区人力资源和社会保障局",
    "离石区应急管理局", "离石区司法局", "离石区退役军人事务局", "吕梁市公安局离石分局",
]  # fmt: skip
ENTERPRISES = [
    "中国移动吕梁分公司", "中国联通吕梁分公司", "中国电信吕梁分公司", "国网吕梁供电公司",
    "山西焦煤西山煤电集团吕梁分公司", "中国工商银行吕梁分行", "中国建设银行吕梁分行", "晋商银行吕梁分行",
    "吕梁市公共交通有限责任公司", "吕梁市城市供水有限公司",
]  # fmt: skip
SURNAMES = (
    "王王王李李李张张张刘刘刘郭郭杨杨赵赵高高武武贾贾任任薛白曹韩陈马孙田梁冯宋郝霍乔段秦侯石吕师康阎牛温"
    "成贺胡许冀渠雷申苏崔柴常孟"
)
GIVEN_MALE = "伟强军勇杰涛明斌华平刚辉鹏飞磊峰波宇浩亮俊晋瑞鑫龙斌国庆旭东超建文"
GIVEN_FEMALE = "芳娟丽静敏燕艳霞红英梅琴玲慧婷洁雪萍丹瑶茹晶莉娜琳蓉佳"
GIVEN_FIRST = "建志国文晓小海春永玉秀俊宏卫爱新金德振晋丽红云雅佳子思明"
PHONE_PREFIXES = ["139", "138", "137", "136", "135", "134", "150", "151", "152", "157", "158", "159", "182",
                  "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180",
                  "189", "177", "199"]  # fmt: skip


class People:
    def __init__(self) -> None:
        self.rng = rng_for("people")
        self.rows: list[dict[str, str]] = []
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.by_unit_role: dict[tuple[str, str], list[str]] = {}

    def phone(self) -> str:
        while True:
            p = PHONE_PREFIXES[self.rng.integers(len(PHONE_PREFIXES))] + f"{self.rng.integers(10**8):08d}"
            if p not in self.phones:
                self.phones.add(p)
                return p

    def name(self) -> str:
        while True:
            pool = GIVEN_MALE if self.rng.random() < 0.55 else GIVEN_FEMALE
            given = pool[self.rng.integers(len(pool))]
            if self.rng.random() < 0.7:
                given = GIVEN_FIRST[self.rng.integers(len(GIVEN_FIRST))] + given
            full = SURNAMES[self.rng.integers(len(SURNAMES))] + given
            if full not in self.names:
                self.names.add(full)
                return full

    def add(self, unit_code: str, roles: list[str]) -> str:
        code = f"P{len(self.rows) + 1:04d}"
        self.rows.append(
            {"code": code, "name": self.name(), "phone": self.phone(), "unit_code": unit_code, "roles": ";".join(roles)}
        )
        for r in roles:
            self.by_unit_role.setdefault((unit_code, r), []).append(code)
        return code


def make_units(streets: list[dict[str, str]], communities: list[dict[str, str]]) -> list[dict[str, str]]:
    units = []
    for kind, names in (
        ("city_office", CITY_OFFICES),
        ("district_office", DISTRICT_OFFICES),
        ("enterprise", ENTERPRISES),
    ):
        units += [{"name": n, "kind": kind} for n in names]
    units += [{"name": f"离石区{s['name']}办事处", "kind": "community", "area_code": s["code"]} for s in streets]
    units += [{"name": f"{c['name']}居委会", "kind": "community", "area_code": c["code"]} for c in communities]
    for i, u in enumerate(units):
        u["code"] = f"U{i + 1:03d}"
    return units


def make_people(units: list[dict[str, str]], grids_per_community: dict[str, int]) -> People:
    people = People()
    rng = rng_for("staffing")
    for u in units:
        code, kind = u["code"], u["kind"]
        if kind in ("city_office", "district_office", "enterprise"):
            leader = people.add(code, ["unit_leader", "road_chief"] if kind != "enterprise" else ["unit_leader"])
            u["contact"] = leader
            for _ in range(int(rng.integers(2, 4))):
                people.add(code, ["compound_lead"])
            people.add(code, ["civ_supervisor"])
            if kind != "enterprise":
                people.add(code, ["road_chief"])
            if "文明城市" in u["name"] or "城市管理局" in u["name"]:
                for _ in range(4):
                    people.add(code, ["inspector"])
        elif len(u["area_code"]) == 9:  # 街道办事处
            u["contact"] = people.add(code, ["unit_leader", "road_chief"])
            people.add(code, ["road_chief"])
            people.add(code, ["inspector", "civ_supervisor"])
        else:  # 社区居委会
            u["contact"] = people.add(code, ["unit_leader", "road_chief"])
            people.add(code, ["community_liaison"])
            if rng.random() < 0.5:
                people.add(code, ["community_liaison", "road_chief"])
            for _ in range(max(1, math.ceil(grids_per_community.get(u["area_code"], 0) / 9))):
                people.add(code, ["grid_worker"])
    for u in units:
        p = people.rows[int(u["contact"][1:]) - 1]
        u["contact_name"], u["contact_phone"] = p["name"], p["phone"]
    return people


CAMPAIGN_START = date(2024, 3, 1)
REASSIGNED_ON = date(2025, 9, 1)


class Assignments:
    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def add(self, kind: str, ref: str, unit: str, person: str, role: str, start: date, end: date | None) -> None:
        if end is not None and end <= start:
            raise ValueError(f"empty period for {kind} {ref} {role}: {start}..{end}")
        self.rows.append(
            {
                "target_kind": kind,
                "target_ref": ref,
                "unit_code": unit,
                "person_code": person,
                "role": role,
                "valid_from": start.isoformat(),
                "valid_to": end.isoformat() if end else "",
            }
        )


def soon(rng: np.random.Generator) -> date:
    """A date within the next 30 days of TODAY (an assignment about to lapse)."""
    return TODAY + timedelta(days=int(rng.integers(4, 29)))


def assign_segments(
    out: Assignments,
    seg: list[dict[str, Any]],
    units: list[dict[str, str]],
    people: People,
    seg_community: list[str],
    seg_street: list[str],
) -> None:
    rng = rng_for("assign-segments")
    by_kind = {k: [u for u in units if u["kind"] == k] for k in ("city_office", "district_office", "enterprise")}
    unit_of_area = {u["area_code"]: u for u in units if u["kind"] == "community"}
    # one road = consecutive segments of one name; stretches of 4–9 segments are adopted by one unit (包路段)
    runs: list[list[int]] = []
    for i, s in enumerate(seg):
        if runs and seg[runs[-1][-1]]["name"] == s["name"]:
            runs[-1].append(i)
        else:
            runs.append([i])
    stretches: list[list[int]] = []
    for run in runs:
        size = int(rng.integers(4, 10)) if seg[run[0]]["level"] != "back" else len(run)
        stretches += [run[k : k + size] for k in range(0, len(run), size)]
    city_i = district_i = 0
    for stretch in stretches:
        level = seg[stretch[0]]["level"]
        roll = rng.random()
        if level == "back" and roll < 0.13:
            continue  # gap: a back street nobody has adopted yet
        if level != "back" and roll < 0.08:
            continue  # gap: a newly built stretch of a main/secondary road
        if level == "main" or (level == "secondary" and rng.random() < 0.3):
            unit = by_kind["city_office"][city_i % len(by_kind["city_office"])]
            city_i += 1
        elif level == "secondary":
            unit = by_kind["district_office"][district_i % len(by_kind["district_office"])]
            district_i += 1
        else:
            area = seg_community[stretch[0]] if rng.random() < 0.8 else seg_street[stretch[0]]
            unit = unit_of_area[area]
        chiefs = people.by_unit_role[(unit["code"], "road_chief")]
        chief = chiefs[int(rng.integers(len(chiefs)))]
        fate = rng.random()
        start = CAMPAIGN_START if rng.random() < 0.8 else date(2025, 3, 1)
        lapse = soon(rng)
        others = [u for u in by_kind["district_office"] if u is not unit]
        old = others[int(rng.integers(len(others)))]
        old_chief = people.by_unit_role[(old["code"], "road_chief")][0]
        for i in stretch:
            ref = seg[i]["ext_id"]
            if fate < 0.05 and level != "back":  # reassigned: the old row ends the day the new one starts
                out.add("segment", ref, old["code"], "", "responsible", CAMPAIGN_START, REASSIGNED_ON)
                out.add("segment", ref, old["code"], old_chief, "road_chief", CAMPAIGN_START, REASSIGNED_ON)
                out.add("segment", ref, unit["code"], "", "responsible", REASSIGNED_ON, None)
                out.add("segment", ref, unit["code"], chief, "road_chief", REASSIGNED_ON, None)
            elif 0.05 <= fate < 0.058:  # adoption about to lapse
                out.add("segment", ref, unit["code"], "", "responsible", start, lapse)
                out.add("segment", ref, unit["code"], chief, "road_chief", start, lapse)
            elif 0.058 <= fate < 0.078:  # responsible unit but no road chief named yet
                out.add("segment", ref, unit["code"], "", "responsible", start, None)
            else:
                out.add("segment", ref, unit["code"], "", "responsible", start, None)
                out.add("segment", ref, unit["code"], chief, "road_chief", start, None)


def assign_compounds(out: Assignments, comp: list[dict[str, Any]], units: list[dict[str, str]], people: People) -> None:
    rng = rng_for("assign-compounds")
    by_kind = {k: [u for u in units if u["kind"] == k] for k in ("city_office", "district_office", "enterprise")}
    unit_of_area = {u["area_code"]: u for u in units if u["kind"] == "community"}
    count = {"city_office": 0, "district_office": 0, "enterprise": 0}
    for c in comp:
        if rng.random() < 0.10:
            continue  # gap: not adopted
        roll = rng.random()
        kind = "city_office" if roll < 0.61 else "district_office" if roll < 0.965 else "enterprise"
        unit = by_kind[kind][count[kind] % len(by_kind[kind])]
        count[kind] += 1
        u = unit["code"]
        community_unit = unit_of_area[c["community_code"]]["code"]
        leader = people.by_unit_role[(u, "unit_leader")][0]
        leads = people.by_unit_role[(u, "compound_lead")]
        lead = leads[int(rng.integers(len(leads)))]
        liaisons = people.by_unit_role[(community_unit, "community_liaison")]
        liaison = liaisons[int(rng.integers(len(liaisons)))]
        supervisor = people.by_unit_role[(u, "civ_supervisor")][0]
        start = CAMPAIGN_START if rng.random() < 0.85 else date(2026, 4, 1)
        fate = rng.random()
        end = soon(rng) if fate < 0.02 else None
        ref = c["ext_id"]
        out.add("compound", ref, u, "", "responsible", start, end)
        out.add("compound", ref, u, leader, "unit_leader", start, end)
        if fate > 0.95 and len(leads) > 1 and start < date(2026, 3, 15):  # the compound lead changed
            changed = date(2026, 3, 15)
            other = leads[(leads.index(lead) + 1) % len(leads)]
            out.add("compound", ref, u, lead, "compound_lead", start, changed)
            out.add("compound", ref, u, other, "compound_lead", changed, end)
        else:
            out.add("compound", ref, u, lead, "compound_lead", start, end)
        out.add("compound", ref, community_unit, liaison, "community_liaison", start, end)
        if not 0.9 < fate <= 0.93:  # a few adopted compounds still lack their 创文督导人
            out.add("compound", ref, u, supervisor, "civ_supervisor", start, end)


UNGRIDDED_COMMUNITIES = ("恒大社区", "界峁社区")  # new 社区 without grid staff yet: their grids are a gap


def assign_grids(
    out: Assignments,
    grids: list[dict[str, str]],
    units: list[dict[str, str]],
    people: People,
    community_names: dict[str, str],
) -> None:
    rng = rng_for("assign-grids")
    unit_of_area = {u["area_code"]: u for u in units if u["kind"] == "community"}
    by_comm: dict[str, list[str]] = {}
    for g in grids:
        by_comm.setdefault(g["community_code"], []).append(g["code"])
    for cc, codes in sorted(by_comm.items()):
        if community_names[cc] in UNGRIDDED_COMMUNITIES:
            continue
        unit = unit_of_area[cc]["code"]
        workers = people.by_unit_role[(unit, "grid_worker")]
        per = math.ceil(len(codes) / len(workers))
        for k, code in enumerate(sorted(codes)):
            roll = rng.random()
            if roll < 0.02:
                continue  # gap
            worker = workers[min(k // per, len(workers) - 1)]
            out.add("grid", code, unit, "", "responsible", CAMPAIGN_START, None)
            if roll < 0.04:
                continue  # no grid worker named
            if roll > 0.97 and len(workers) > 1:  # the grid changed hands
                changed = date(2026, 6, 1)
                other = workers[(workers.index(worker) + 1) % len(workers)]
                out.add("grid", code, unit, worker, "grid_worker", CAMPAIGN_START, changed)
                out.add("grid", code, unit, other, "grid_worker", changed, None)
            else:
                out.add("grid", code, unit, worker, "grid_worker", CAMPAIGN_START, None)
