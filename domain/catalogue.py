"""The county's own catalogue of kinds (incident kinds, resource kinds): the defaults of domain/terms.py, and the
kinds a county declares (`lianfang setup`) or a scenario declares in its header for its drill store.

One aggregate per store, at a fixed id. A declared kind is an attributed event, so as-of and replay know which
kinds existed when; a store written before the catalogue existed has only the defaults, as it always had.
"""
from __future__ import annotations

import re
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from domain.base import Meta, Thing
from domain.errors import InvalidInput, Refused
from domain.terms import KIND_GROUPS
from domain.values import text_of

CATALOGUE_ID = uuid5(NAMESPACE_URL, "https://lianfang.example/catalogue")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
WHERE_DECLARED = ("kinds are the defaults (domain/terms.py) and those declared under `kinds:` in the county's "
                  "setup file (`lianfang setup COUNTY.yaml`) or, for a drill store, in the scenario's header")


def defaults(group: str) -> dict[str, tuple[str, str]]:
    return dict(KIND_GROUPS[group][1])


class Catalogue(Thing):
    class CatalogueOpened(Thing.Created):
        pass

    class KindDeclared(Thing.Event):
        group: str
        code: str
        zh: str
        en: str

        def apply(self, catalogue: Catalogue) -> None:
            catalogue.declared.setdefault(self.group, {})[self.code] = (self.zh, self.en)

    def __init__(self) -> None:
        self.declared: dict[str, dict[str, tuple[str, str]]] = {}

    @classmethod
    def open(cls, meta: Meta) -> Catalogue:
        return cls.begin(cls.CatalogueOpened, CATALOGUE_ID, meta)

    def kinds(self, group: str) -> dict[str, tuple[str, str]]:
        """Every kind of the group this store knows: the defaults, then the county's own."""
        return {**defaults(group), **self.declared.get(group, {})}

    def declare(self, meta: Meta, *, group: Any, code: Any, zh: Any, en: Any) -> None:
        meta.check_role("commander", doing="declaring a kind")
        if group not in KIND_GROUPS:
            raise InvalidInput(f"kind group {group!r} is unknown; the groups are {', '.join(KIND_GROUPS)}")
        if not isinstance(code, str) or not CODE.match(code):
            raise InvalidInput(f"a kind's code is lower-case letters, digits and _ (2-48, a letter first), such as "
                               f"mobile_lab, not {code!r}")
        names = (text_of(zh, "zh (the kind's Chinese name)", max_len=40), text_of(en, "en (the kind's English name)", max_len=80))
        if self.kinds(group).get(code) == names:
            raise Refused(f"{group} kind {code} is already in the catalogue as {names[0]} / {names[1]}")
        self.happen(self.KindDeclared, meta, group=group, code=code, zh=names[0], en=names[1])


def check_kind(value: Any, kinds: dict[str, tuple[str, str]], group: str) -> str:
    """The kind, if the catalogue knows it; otherwise a refusal that says where kinds are declared."""
    if not isinstance(value, str) or value not in kinds:
        listed = ", ".join(f"{code} ({zh})" for code, (zh, _) in kinds.items())
        raise InvalidInput(f"{group} kind {value!r} is unknown; {WHERE_DECLARED}. Known: {listed}")
    return value
