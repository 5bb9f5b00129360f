"""What the pages need before they sign in (GET /api/v1/config): the drill banner, the tile URL, the names of
the domain's enumerations in both languages, the map's colours, and which role may send which command.
Nothing in it names a path, a host or a setting of the server beyond the public tile URL."""
from __future__ import annotations

from typing import Any

from domain.permissions import MAY
from domain.terms import KIND_GROUPS, LEVEL_COLOURS, LEVEL_RANKS, TERMS, in_language
from domain.values import PERSONAL_DATA_PATTERNS
from domain.zone import NEXT_KIND

# The map's colours, by what they show (a level's colour name, a zone's kind, a resource's or dispatch's state).
PALETTE: dict[str, Any] = {
    "level": {"red": "#ef4444", "orange": "#f97316", "yellow": "#facc15", "blue": "#3b82f6", "grey": "#94a3b8"},
    "zone": {"sealed": "#dc2626", "controlled": "#ea580c", "prevention": "#16a34a", "due": "#ffffff"},
    "resource": {"available": "#22d3ee", "committed": "#c084fc", "en_route": "#f472b6", "on_scene": "#fde047"},
    "dispatch": {"requested": "#94a3b8", "committed": "#c084fc", "en_route": "#f472b6", "on_scene": "#fde047"},
    "alert": {"any": "#e879f9"},
    "task": {"green": "#22c55e", "yellow": "#facc15", "red": "#ef4444"},
    "border": {"county": "#e2e8f0", "township": "#93a4c3", "village": "#52617e", "grid": "#3a4660"},
    "base": "#17223a",
}


# What a drill's marker may say to anyone (it also names the scenario file's path on the server: not that).
PUBLIC_DRILL = ("run", "scenario", "start", "end", "status", "result")


def public_drill(drill: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a drill's marker says to every client: the banner's words, never a path of the server."""
    return {k: drill[k] for k in PUBLIC_DRILL if k in drill} if drill else None


def page_config(drill: dict[str, Any] | None, tile_url: str | None, declared: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`declared`: the kinds the store's catalogue adds (the situation map's `kinds`), named like the defaults."""
    terms = {"zh": in_language("zh"), "en": in_language("en")}
    order = {group: list(names) for group, names in TERMS.items()}
    for kind in declared or ():
        group = KIND_GROUPS[kind["group"]][0]
        terms["zh"][group][kind["code"]], terms["en"][group][kind["code"]] = kind["zh"], kind["en"]
        if kind["code"] not in order[group]:
            order[group].append(kind["code"])
    return {
        "drill": public_drill(drill),
        "tile_url": tile_url,
        "levels": [{"level": level, "colour": colour, "rank": LEVEL_RANKS[level]} for level, colour in LEVEL_COLOURS.items()],
        "zone_steps": NEXT_KIND,
        "order": order,
        "terms": terms,
        "palette": PALETTE,
        "may": {command: sorted(roles) for command, roles in MAY.items()},
        "personal_data": PERSONAL_DATA_PATTERNS,  # so a phone checks a note before queuing it, by the API's rule
    }
