"""Names: which block cluster carries which 社区 name, the secondary roads' and back streets' names (real road names
of 离石 for the secondary roads, invented ones for the back streets), and invented compound names with household
counts."""

from __future__ import annotations

import numpy as np
import shapely
from shapely import STRtree

from .config import rng_for
from .roads import Road

SECONDARY_NAMES = [
    "和平街", "新华街", "东关街", "西关街", "南关街", "七一路", "文昌路", "六一街", "丽景街", "贺昌路",
    "英雄路", "世纪路", "学院路", "尉汾路", "昌宁街", "兴南路", "盛地路", "朝阳街", "龙山路", "府前街",
    "体育路", "康宁路", "建设路", "育才路", "北关街", "吉祥路", "乔家沟路", "袁家庄路", "七里滩路", "五里铺街",
    "马茂庄路", "石盘路",
]  # fmt: skip
# secondary road names that belong next to a community of the same name
ROAD_OF_COMMUNITY = {
    "新华街": "新华街社区", "文昌路": "文昌路社区", "和平街": "和平社区", "六一街": "六一街社区",
    "丽景街": "丽景街社区", "南关街": "南关社区", "东关街": "东关社区", "尉汾路": "尉汾路社区",
    "龙山路": "龙山社区", "吉祥路": "吉祥社区", "乔家沟路": "乔家沟社区", "袁家庄路": "袁家庄社区",
    "七里滩路": "七里滩社区", "五里铺街": "五里铺社区", "马茂庄路": "马茂庄社区", "石盘路": "石盘社区",
    "昌宁街": "昌宁社区", "朝阳街": "朝阳社区", "兴南路": "兴南社区", "盛地路": "盛地社区",
}  # fmt: skip
# main roads that give their name to a community
COMMUNITY_OF_MAIN_ROAD = {"交通路": "交通路社区", "久安路": "久安社区", "永宁路": "永宁社区", "城东路": "城东社区"}
OLD_TOWN_LANES = [
    "钟楼巷", "鼓楼街", "仓门巷", "府前巷", "书院巷", "文庙巷", "柳巷", "太平巷", "兴隆巷", "永安巷", "马道巷",
    "粮店巷", "菜市巷", "槐树巷", "井儿巷", "油坊巷", "牌楼巷", "县衙巷", "城隍庙巷", "小东街", "小西街",
    "学府巷", "当铺巷", "染坊巷", "铁匠巷", "水巷", "箭道巷", "察院巷",
]  # fmt: skip
OLD_TOWN = ("城内社区", "城中社区", "东关社区", "南关社区")
HUTONG_WORDS = ["红星", "光明", "幸福", "团结", "胜利", "和顺", "福寿", "平安", "吉庆", "安居", "丰收", "建新",
                "向阳", "长青", "友谊", "新民", "东风", "跃进", "民主", "前进"]  # fmt: skip
DIRECTIONS = ["前", "后", "东", "西", "南", "北", "中", "新"]
CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def stem(community_name: str) -> str:
    return community_name[: -len("社区")] if community_name.endswith("社区") else community_name


def order_communities(
    community: np.ndarray,
    street: np.ndarray,
    blocks_m: np.ndarray,
    streets: list[dict[str, str]],
    communities: list[dict[str, str]],
    main: list[Road],
) -> np.ndarray:
    """Give the block clusters their names: 社区 named after a main road get the cluster it crosses most,
    the others follow in reading order (north→south, then west→east)."""
    new = community.copy()
    road_line = {r.name: r.line for r in main}
    for i, s in enumerate(streets):
        idx = [j for j, c in enumerate(communities) if c["street_code"] == s["code"]]
        clusters = sorted({int(c) for c in community[street == i]})
        shapes = {c: shapely.union_all(blocks_m[community == c]) for c in clusters}
        mapping: dict[int, int] = {}
        for road, cname in COMMUNITY_OF_MAIN_ROAD.items():
            target = [j for j in idx if communities[j]["name"] == cname]
            if not target or road not in road_line:
                continue
            free = [c for c in clusters if c not in mapping]
            inside = {c: shapes[c].intersection(road_line[road]).length for c in free}
            best = max(free, key=lambda c: (inside[c], -c))
            if inside[best] > 0:
                mapping[best] = target[0]
        rest_names = [j for j in idx if j not in mapping.values()]
        rest = [c for c in clusters if c not in mapping]
        cent = {c: shapes[c].centroid for c in rest}
        rest.sort(key=lambda c: (-round(cent[c].y / 600.0), cent[c].x))
        mapping.update(dict(zip(rest, rest_names, strict=True)))
        for c, j in mapping.items():
            new[community == c] = j
    return new


def name_secondary(roads: list[Road], communities_m: np.ndarray, communities: list[dict[str, str]]) -> None:
    rng = rng_for("secondary-names")
    by_name = {c["name"]: k for k, c in enumerate(communities)}
    free = list(range(len(roads)))
    names = list(SECONDARY_NAMES)
    for road_name, cname in ROAD_OF_COMMUNITY.items():
        k = by_name.get(cname)
        if k is None or not free:
            continue
        # the free road running longest through the community, else the nearest one
        score = [
            communities_m[k].intersection(roads[i].line).length or -communities_m[k].distance(roads[i].line)
            for i in free
        ]
        best = int(np.argmax(score))
        if score[best] > -300:
            roads[free.pop(best)].name = road_name
            names.remove(road_name)
    order = rng.permutation(len(free))
    for i, n in zip(order, names, strict=False):
        roads[free[i]].name = n
    for i in free:
        if roads[i].name is None:
            raise RuntimeError("more secondary roads than names")


def name_lanes(lanes: list[Road], communities_m: np.ndarray, communities: list[dict[str, str]]) -> None:
    rng = rng_for("lane-names")
    tree = STRtree(communities_m)
    mids = [r.line.interpolate(0.5, normalized=True) for r in lanes]
    hits = tree.query(np.array(mids, dtype=object), predicate="dwithin", distance=1.0)
    where = np.full(len(lanes), -1)
    for li, ci in zip(*hits, strict=True):
        if where[li] < 0 or ci < where[li]:
            where[li] = ci
    used: set[str] = set()
    counters: dict[int, int] = {}
    old_town = list(OLD_TOWN_LANES)
    hutong = list(HUTONG_WORDS)
    dirs: dict[int, list[str]] = {}
    for k, lane in enumerate(lanes):
        c = int(where[k])
        cname = communities[c]["name"]
        st = stem(cname)
        name = None
        roll = rng.random()
        if cname in OLD_TOWN and old_town and roll < 0.6:
            name = old_town.pop(0)
        elif lane.line.length > 420 and roll < 0.5:
            options = dirs.setdefault(c, list(DIRECTIONS))
            while options and name is None:
                cand = f"{st}{options.pop(0)}街"
                name = None if cand in used else cand
        elif roll > 0.93 and hutong:
            name = f"{hutong.pop(0)}胡同"
        while name is None or name in used:
            counters[c] = counters.get(c, 0) + 1
            name = f"{st}{cn_number(counters[c])}巷"
        used.add(name)
        lane.name = name


COMPOUND_PREFIXES = [
    "龙凤", "凤山", "滨河", "永宁", "锦绣", "阳光", "和平", "新华", "朝阳", "盛世", "金地", "御景", "吕梁", "华府",
    "碧水", "泰和", "康宁", "福源", "紫金", "嘉禾", "瑞祥", "祥和", "怡景", "金茂", "世纪", "汇丰", "鑫源", "开元",
    "兴隆", "天和", "龙城", "三川", "北川", "东川", "昌盛", "文昌", "锦瑞", "久安", "长治", "恒泰", "裕华", "丽都",
    "明珠", "翠湖", "山水", "滨江", "书香", "学府", "馨园", "润泽", "凤凰", "龙湖", "怡和", "宏达", "安泰", "富康",
    "景和", "清华", "金桂", "银杏", "梧桐", "玉兰", "丹桂", "盛景", "东方", "新城", "锦华", "金色", "阳明", "永和",
    "万福", "顺达", "和谐", "宜居", "华润", "宝丰",
]  # fmt: skip
WORK_UNITS = [
    "市委", "市政府", "交通局", "电业局", "煤运公司", "粮食局", "水利局", "人民医院", "第一中学", "第二中学",
    "供销社", "林业局", "财政局", "税务局", "工商银行", "建设银行", "农业银行", "邮政局", "电信公司", "公路段",
    "地质队", "化肥厂", "水泥厂", "棉麻公司", "食品公司", "百货公司", "机械厂", "汽车站", "烟草公司", "气象局",
    "卫生局", "法院", "检察院", "公安局", "武装部", "教育局", "广电局", "农机公司", "物资局", "印刷厂",
]  # fmt: skip
COMPOUND_KINDS = [("小区", 0.28), ("家属院", 0.18), ("花园", 0.12), ("苑", 0.11), ("新村", 0.05), ("佳园", 0.05),
                  ("公寓", 0.04), ("华庭", 0.05), ("雅居", 0.04), ("名邸", 0.03), ("嘉园", 0.05)]  # fmt: skip
COMPOUND_WINGS = ["东院", "西院", "南院", "北院"]


def name_compounds(n: int, community_names: list[str], areas: np.ndarray) -> tuple[list[str], list[int]]:
    """Plausible compound names (unique) and household counts from the area and the kind of estate."""
    rng = rng_for("compound-names")
    kinds, weights = zip(*COMPOUND_KINDS, strict=True)
    p = np.asarray(weights) / sum(weights)
    used: set[str] = set()
    names, households = [], []
    for k in range(n):
        kind = kinds[rng.choice(len(kinds), p=p)]
        if kind == "家属院":
            density = rng.uniform(70, 110)  # m² of land per household: old walk-ups of a work unit (单位大院)
            candidates = [WORK_UNITS[rng.integers(len(WORK_UNITS))] + kind for _ in range(4)]
            wings = [f"{candidates[0]}{w}" for w in COMPOUND_WINGS]
        else:
            density = rng.uniform(32, 60)  # mid/high-rise estates
            prefixes = [COMPOUND_PREFIXES[rng.integers(len(COMPOUND_PREFIXES))] for _ in range(4)]
            if rng.random() < 0.15:
                prefixes.insert(0, stem(community_names[k]))
            candidates = [f"{pre}{kind}" for pre in prefixes]
            wings = []
        name = next((c for c in candidates + wings if c not in used), None)
        phase = 1
        while name is None or name in used:
            phase += 1
            name = f"{candidates[0]}{cn_number(phase)}期"
        used.add(name)
        names.append(name)
        households.append(max(24, int(np.rint(areas[k] / density / 2.0)) * 2))
    return names, households
