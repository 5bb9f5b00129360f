"""The names of the domain's enumerations, in Chinese (first) and English: one source for the domain's
kinds, the server's words and the pages, which get them from GET /api/v1/config."""
from __future__ import annotations

Names = dict[str, tuple[str, str]]  # value → (Chinese, English)

LEVELS: Names = {
    "I": ("I级 特别重大", "Level I (especially grave)"),
    "II": ("II级 重大", "Level II (grave)"),
    "III": ("III级 较大", "Level III (serious)"),
    "IV": ("IV级 一般", "Level IV (general)"),
}
# A level's colour on the map, and how serious it is (higher is more serious).
LEVEL_COLOURS = {"I": "red", "II": "orange", "III": "yellow", "IV": "blue"}
LEVEL_RANKS = {"I": 4, "II": 3, "III": 2, "IV": 1}

ZONE_KINDS: Names = {
    "sealed": ("封控区", "Sealed zone"),
    "controlled": ("管控区", "Controlled zone"),
    "prevention": ("防范区", "Prevention zone"),
}

INCIDENT_KINDS: Names = {
    "cluster": ("聚集性疫情", "cluster"),
    "food_poisoning": ("食物中毒", "food poisoning"),
    "unexplained_illness": ("不明原因疾病", "unexplained illness"),
    "infectious_disease": ("传染病疫情", "infectious disease"),
    "vaccine_reaction": ("预防接种异常反应", "vaccine reaction"),
    "occupational_poisoning": ("职业中毒", "occupational poisoning"),
    "mass_unexplained_illness": ("群体性不明原因疾病", "mass unexplained illness"),
    "environmental_hazard": ("环境因素事件", "environmental health hazard"),
    "radiation_exposure": ("意外辐射照射事件", "accidental radiation exposure"),
    "disaster_health": ("自然灾害次生公共卫生事件", "public-health effects of a natural disaster"),
    "terrorism_health": ("生物、化学、核辐射恐怖事件", "biological, chemical or nuclear terrorism"),
    "other": ("其他突发公共卫生事件", "other"),
}

RESOURCE_KINDS: Names = {
    "medical_team": ("医疗队", "medical team"),
    "ambulance": ("救护车", "ambulance"),
    "sampling_team": ("采样队", "sampling team"),
    "quarantine_site": ("隔离点", "quarantine site"),
    "supplies": ("物资储备", "supplies"),
    "epi_team": ("流调队", "epi team"),
    "transport": ("转运组", "transport"),
    "negative_pressure_ambulance": ("负压救护车", "negative-pressure ambulance"),
    "disinfection_team": ("消杀队", "disinfection team"),
    "vaccination_team": ("应急接种队", "emergency vaccination team"),
    "mobile_lab": ("移动检测实验室", "mobile testing laboratory"),
    "hospital_beds": ("定点医院床位", "designated hospital beds"),
    "protective_supplies": ("防护物资", "protective supplies"),
    "psychological_team": ("心理援助队", "psychological support team"),
    "grid_workers": ("网格员队伍", "grid workers"),
    "volunteers": ("志愿者队伍", "volunteers"),
    "cold_chain_vehicle": ("冷链运输车", "cold-chain vehicle"),
}
# The kind groups a county's catalogue extends (Catalogue in domain/catalogue.py), by the name a file uses.
KIND_GROUPS: dict[str, tuple[str, Names]] = {"incident": ("incidentKind", INCIDENT_KINDS),
                                             "resource": ("resourceKind", RESOURCE_KINDS)}

UNIT_KINDS: Names = {"department": ("县级部门", "county department"), "township": ("乡镇（街道）", "township")}

COUNTS: Names = {
    "confirmed": ("确诊", "confirmed"), "suspected": ("疑似", "suspected"),
    "asymptomatic": ("无症状", "asymptomatic"), "close_contacts": ("密接", "close contacts"),
}

# Every group the pages name, by the key they use (term('zone', 'sealed')).
TERMS: dict[str, Names] = {
    "level": LEVELS,
    "zone": ZONE_KINDS,
    "incidentKind": INCIDENT_KINDS,
    "resourceKind": RESOURCE_KINDS,
    "unitKind": UNIT_KINDS,
    "count": COUNTS,
    "resourceStatus": {"available": ("待命", "available"), "committed": ("已调派", "committed"),
                       "en_route": ("在途", "en route"), "on_scene": ("在现场", "on scene")},
    "dispatch": {"requested": ("已申请", "requested"), "committed": ("已落实", "committed"),
                 "en_route": ("在途", "en route"), "on_scene": ("已到达", "on scene"),
                 "released": ("已释放", "released"), "cancelled": ("已取消", "cancelled")},
    "colour": {"green": ("绿", "green"), "yellow": ("黄", "yellow"), "red": ("红", "red")},
    "taskState": {"assigned": ("待认领", "assigned"), "claimed": ("已认领", "claimed"),
                  "completed": ("已办结", "completed"), "refused": ("已拒绝", "refused")},
    "incidentStatus": {"open": ("处置中", "open"), "closed": ("已结束", "closed")},
    "role": {"commander": ("指挥部", "command"), "unit": ("责任单位", "unit"), "field": ("现场工作组", "field team"),
             "observer": ("观察员", "observer"), "system": ("系统", "system"),
             "enrolment": ("设备登录", "device sign-in")},  # a device redeeming its one-time code
    "severity": {"Extreme": ("特别严重", "extreme"), "Severe": ("严重", "severe"), "Moderate": ("较重", "moderate"),
                 "Minor": ("一般", "minor"), "Unknown": ("未知", "unknown")},
    "urgency": {"Immediate": ("立即", "immediate"), "Expected": ("预期", "expected"), "Future": ("将来", "future"),
                "Past": ("已过", "past"), "Unknown": ("未知", "unknown")},
    "certainty": {"Observed": ("已发生", "observed"), "Likely": ("很可能", "likely"), "Possible": ("可能", "possible"),
                  "Unlikely": ("不太可能", "unlikely"), "Unknown": ("未知", "unknown")},
    "alertStatus": {"Actual": ("正式发布", "actual"), "Exercise": ("演练", "exercise"), "System": ("系统", "system"),
                    "Test": ("测试", "test"), "Draft": ("草稿", "draft")},
    "jurisdictionLevel": {"county": ("县", "county"), "township": ("乡镇", "township"), "street": ("街道", "street"),
                          "village": ("村", "village"), "community": ("社区", "community"), "grid": ("网格", "grid")},
}


def chinese(names: Names) -> dict[str, str]:
    return {value: zh for value, (zh, _) in names.items()}


def in_language(language: str) -> dict[str, dict[str, str]]:
    """Every group's names in one language (`zh` or `en`), as the pages take them."""
    at = 1 if language == "en" else 0
    return {group: {value: pair[at] for value, pair in names.items()} for group, names in TERMS.items()}
