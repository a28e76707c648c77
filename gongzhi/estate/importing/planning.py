"""Checking every row of a registry file against the rules and against the registry, and working out what the
import will create, update or leave unchanged. Nothing here writes.

Natural keys (re-importing a file updates and never duplicates):
- house: building + unit + number, each normalised (full-width digits, spaces and labels such as 栋/单元/室 removed);
- person: the ID number when given, else mobile number + name;
- residency: house + person + kind (owner, co-owner, family, tenant), among the open (not ended) residencies;
- vehicle: the plate, among the registered (not deregistered) vehicles.

An empty cell means "not given": it never clears what the registry already holds.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.masking import mask_id_number, mask_mobile
from gongzhi.core.normalize import clean_compact, clean_text

from ..choices import OWNER_KINDS, AreaSource, HouseKind, HouseStatus, IdType, ResidencyKind
from ..models import Building, House, Person, Residency, Unit, Vehicle
from ..validators import (
    BUILDING_SUFFIXES,
    NUMBER_SUFFIXES,
    UNIT_SUFFIXES,
    InvalidValue,
    parse_house_ref,
    parse_id_number,
    parse_mobile,
    parse_plate,
    strip_label,
)
from . import cells
from .columns import HOUSES, RESIDENTS, VEHICLES
from .reading import FORMULA, RawSheet
from .report import Problems

HouseKey = tuple[str, str, str]

HOUSE_VALUE_FIELDS = ("floor", "kind", "area_m2", "inner_area_m2", "area_source", "status", "developer_held")
HOUSE_DEFAULTS: dict[str, Any] = {"floor": None, "kind": HouseKind.RESIDENTIAL, "inner_area_m2": None,
                                  "area_source": AreaSource.CONTRACT, "status": HouseStatus.DELIVERED,
                                  "developer_held": False}
PERSON_VALUE_FIELDS = ("name", "mobile", "id_type", "id_number")
RESIDENCY_VALUE_FIELDS = ("share", "is_representative", "start_date")
NAME_MAX = {"building": 20, "unit": 20, "number": 20, "name": 60}

CREATE = "create"
UPSERT = "upsert"
MODES = (UPSERT, CREATE)


def house_code(key: HouseKey) -> str:
    return "-".join(key)


@dataclass(eq=False)
class HousePlan:
    key: HouseKey
    existing: dict | None
    values: dict[str, Any]
    in_file: bool = False
    sheet: str = ""
    row: int = 0
    changed: list[str] = field(default_factory=list)
    pk: int | None = None

    def __post_init__(self):
        if self.existing is not None:
            self.pk = self.existing["id"]

    @property
    def code(self) -> str:
        return house_code(self.key)


@dataclass(eq=False)
class PersonPlan:
    existing: dict | None
    values: dict[str, Any]
    in_file: bool = False
    # field → (sheet, row, value) for the values the file gives, to catch one person given two ways
    given: dict[str, tuple[str, int, Any]] = field(default_factory=dict)
    pk: int | None = None

    def __post_init__(self):
        if self.existing is not None:
            self.pk = self.existing["id"]

    @property
    def changed(self) -> list[str]:
        if self.existing is None:
            return []
        return [f for f in PERSON_VALUE_FIELDS if self.values[f] != self.existing[f]]


@dataclass(eq=False)
class ResidencyPlan:
    house: HousePlan
    person: PersonPlan
    kind: str
    existing: dict | None
    values: dict[str, Any]
    given: set[str] = field(default_factory=set)
    sheet: str = ""
    row: int = 0
    # the headers of the share and representative columns as written in the row's sheet
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> list[str]:
        if self.existing is None:
            return []
        return [f for f in RESIDENCY_VALUE_FIELDS if self.values[f] != self.existing[f]]


@dataclass(eq=False)
class VehiclePlan:
    plate: str
    kind: str
    existing: dict | None
    house: HousePlan | None
    person: PersonPlan | None
    sheet: str = ""
    row: int = 0

    @property
    def changed(self) -> list[str]:
        if self.existing is None:
            return []
        changed = []
        if self.kind != self.existing["kind"]:
            changed.append("kind")
        # a house or person created by this import has no key yet: it is a change all the same
        if self.house is not None and (self.house.pk is None or self.house.pk != self.existing["house_id"]):
            changed.append("house_id")
        if self.person is not None and (self.person.pk is None or self.person.pk != self.existing["person_id"]):
            changed.append("person_id")
        return changed


class _Row:
    """One row of a sheet: its cells by column key, and a way to report a problem in one of them."""

    __slots__ = ("ok", "planner", "row", "sheet", "values")

    def __init__(self, planner: "Planner", sheet: RawSheet, row: int, values: tuple):
        self.planner, self.sheet, self.row, self.values = planner, sheet, row, values
        self.ok = True

    def raw(self, key: str) -> Any:
        column = self.sheet.columns.get(key)
        if column is None or column[0] >= len(self.values):
            return None
        return self.values[column[0]]

    def given(self, key: str) -> bool:
        value = self.raw(key)
        return value is not FORMULA and not cells.is_blank(value)

    def bad(self, key: str, reason: Any, /, **params: Any) -> None:
        self.ok = False
        self.planner.problems.add(self.sheet.title, self.row, self.sheet.header(key), self.raw(key), reason, **params)

    def parse(self, key: str, parser, *, required: bool = False) -> Any:
        """The parsed cell, or None when empty (reported when required) or invalid (reported)."""
        value = self.raw(key)
        if value is FORMULA:
            self.ok = False
            return None
        if cells.is_blank(value):
            if required:
                self.bad(key, _("This value is required."))
            return None
        try:
            return parser(value)
        except InvalidValue as exc:
            self.bad(key, exc.reason, **getattr(exc, "params", {}))
            return None

    def label(self, key: str, suffixes: tuple[str, ...], *, required: bool = True) -> str | None:
        def read(value: Any) -> str:
            name = strip_label(cells.text(value), *suffixes)
            if len(name) > NAME_MAX[key]:
                raise cells.BadCell(_("is too long (at most %(max)s characters)"), max=NAME_MAX[key])
            return name

        return self.parse(key, read, required=required)


class Planner:
    def __init__(self, *, actor: Actor, mode: str, problems: Problems):
        self.actor = actor
        self.estate = actor.estate
        self.mode = mode
        self.problems = problems
        self.today = timezone.localdate()
        self.read_house_kind = cells.ChoiceReader(HouseKind)
        self.read_area_source = cells.ChoiceReader(AreaSource)
        self.read_status = cells.ChoiceReader(HouseStatus)
        self.read_id_type = cells.ChoiceReader(IdType)
        self.read_residency_kind = cells.ChoiceReader(ResidencyKind)
        # the plan
        self.houses: dict[HouseKey, HousePlan] = {}
        self.rejected_houses: dict[HouseKey, tuple[str, int]] = {}  # new houses whose row in the file is wrong
        self.persons: list[PersonPlan] = []
        self.residencies: dict[tuple, ResidencyPlan] = {}
        self.vehicles: dict[str, VehiclePlan] = {}
        self.cleared_representatives: list[dict] = []
        self.rows = 0

    # --- the registry as it is --------------------------------------------------------------------------------
    def load(self) -> None:
        """Everything the checks compare with, in a handful of queries whatever the size of the file."""
        estate = self.estate
        self.db_buildings = dict(Building.objects.filter(estate=estate).values_list("name", "id"))
        self.db_units = {(b, u): pk for pk, b, u in
                         Unit.objects.filter(estate=estate).values_list("id", "building__name", "name")}
        self.db_houses: dict[HouseKey, dict] = {}
        self.house_codes: dict[int, str] = {}
        for h in House.objects.filter(estate=estate).values("id", "building_id", "unit_id", "building__name",
                                                             "unit__name", "number", *HOUSE_VALUE_FIELDS):
            key = (h["building__name"], h["unit__name"], h["number"])
            self.db_houses[key] = h
            self.house_codes[h["id"]] = house_code(key)
        self.db_persons_by_id: dict[tuple[str, str], dict] = {}
        self.db_persons_by_contact: dict[tuple[str, str], dict] = {}
        self.db_persons_by_name: dict[str, list[dict]] = defaultdict(list)
        self.db_persons_by_pk: dict[int, dict] = {}
        for p in Person.objects.filter(estate=estate).order_by("id").values("id", "user_id", *PERSON_VALUE_FIELDS):
            self.db_persons_by_pk[p["id"]] = p
            self.db_persons_by_name[p["name"]].append(p)
            if p["id_number"]:
                self.db_persons_by_id.setdefault((p["id_type"] or IdType.RESIDENT_ID, p["id_number"]), p)
            if p["mobile"]:
                self.db_persons_by_contact.setdefault((p["mobile"], p["name"]), p)
        self.db_residencies: dict[tuple[int, int, str], dict] = {}
        self.db_residencies_by_house: dict[int, list[dict]] = defaultdict(list)
        for r in Residency.objects.filter(estate=estate, end_date__isnull=True).values(
                "id", "house_id", "person_id", "kind", *RESIDENCY_VALUE_FIELDS):
            self.db_residencies[(r["house_id"], r["person_id"], r["kind"])] = r
            self.db_residencies_by_house[r["house_id"]].append(r)
        self.db_vehicles = {v["plate"]: v for v in Vehicle.objects.filter(estate=estate, ended_at__isnull=True)
                            .values("id", "plate", "kind", "person_id", "house_id")}
        self._person_plans_by_pk: dict[int, PersonPlan] = {}
        self.persons_by_id: dict[tuple[str, str], PersonPlan] = {}
        self.persons_by_contact: dict[tuple[str, str], PersonPlan] = {}

    # --- the file -------------------------------------------------------------------------------------------
    def plan(self, sheets: list[RawSheet]) -> None:
        order = {HOUSES: 0, RESIDENTS: 1, VEHICLES: 2}
        handlers = {HOUSES: self.house_row, RESIDENTS: self.resident_row, VEHICLES: self.vehicle_row}
        for sheet in sorted(sheets, key=lambda s: order[s.spec.kind]):
            handler = handlers[sheet.spec.kind]
            for row, values in sheet.rows:
                self.rows += 1
                handler(_Row(self, sheet, row, values))
        self.check_households()

    # --- houses ---------------------------------------------------------------------------------------------
    def house_key(self, r: _Row, *, required: bool = True) -> HouseKey | None:
        """The house a row names, by the house column (3-2-1502) or the building / unit / number columns."""
        if r.given("house"):
            ref = parse_house_ref(r.raw("house"))
            if ref is None:
                r.bad("house", _("not a house reference; write it as 3-2-1502 or 3栋2单元1502"))
                return None
            return (ref.building, ref.unit, strip_label(ref.number, *NUMBER_SUFFIXES))
        if not required and not any(r.given(k) for k in ("building", "unit", "number")):
            return None
        building = r.label("building", BUILDING_SUFFIXES)
        unit = r.label("unit", UNIT_SUFFIXES)
        number = r.label("number", NUMBER_SUFFIXES)
        if building and unit and number:
            return (building, unit, number)
        return None

    def house_row(self, r: _Row) -> None:
        key = self.house_key(r)
        self._plan_house(r, key)
        if key is not None and not r.ok and key not in self.houses:
            self.rejected_houses.setdefault(key, (r.sheet.title, r.row))

    def _plan_house(self, r: _Row, key: HouseKey | None) -> None:
        given: dict[str, Any] = {
            "floor": r.parse("floor", lambda v: cells.parse_int(v, -20, 300)),
            "kind": r.parse("kind", self.read_house_kind),
            "area_m2": r.parse("area_m2", cells.parse_area, required=True),
            "inner_area_m2": r.parse("inner_area_m2", cells.parse_area),
            "area_source": r.parse("area_source", self.read_area_source),
            "status": r.parse("status", self.read_status),
            "developer_held": r.parse("developer_held", cells.parse_bool),
        }
        if key is None or not r.ok:
            return
        earlier = self.houses.get(key)
        if earlier is not None and earlier.in_file:
            r.bad("number", _("Duplicate: house %(house)s is also in sheet %(sheet)s, row %(row)s."),
                  house=house_code(key), sheet=earlier.sheet, row=earlier.row)
            return
        existing = self.db_houses.get(key)
        if existing is not None and self.mode == CREATE:
            r.bad("number", _("House %(house)s is already in the registry (create-only mode does not change it)."),
                  house=house_code(key))
            return
        base = {f: existing[f] for f in HOUSE_VALUE_FIELDS} if existing else dict(HOUSE_DEFAULTS)
        values = {**base, **{f: v for f, v in given.items() if v is not None}}
        if values["inner_area_m2"] is not None and values["inner_area_m2"] > values["area_m2"]:
            r.bad("inner_area_m2" if given["inner_area_m2"] is not None else "area_m2",
                  _("The inner area (%(inner)s m²) is larger than the building area (%(area)s m²)."),
                  inner=values["inner_area_m2"], area=values["area_m2"])
            return
        plan = HousePlan(key=key, existing=existing, values=values, in_file=True, sheet=r.sheet.title, row=r.row)
        if existing is not None:
            plan.changed = [f for f in HOUSE_VALUE_FIELDS if values[f] != existing[f]]
        self.houses[key] = plan

    def house_for(self, r: _Row, key: HouseKey, column: str) -> HousePlan | None:
        plan = self.houses.get(key)
        if plan is not None:
            return plan
        existing = self.db_houses.get(key)
        if existing is None and key in self.rejected_houses:
            sheet, row = self.rejected_houses[key]
            r.bad(column, _("House %(house)s is not in the registry yet and its row in this file (sheet %(sheet)s, "
                            "row %(row)s) has a problem: fix that row first."),
                  house=house_code(key), sheet=sheet, row=row)
            return None
        if existing is None:
            r.bad(column, _("House %(house)s is neither in the registry nor in the houses sheet of this file."),
                  house=house_code(key))
            return None
        plan = HousePlan(key=key, existing=existing, values={f: existing[f] for f in HOUSE_VALUE_FIELDS})
        self.houses[key] = plan
        return plan

    # --- persons --------------------------------------------------------------------------------------------
    def _person_plan(self, existing: dict) -> PersonPlan:
        plan = self._person_plans_by_pk.get(existing["id"])
        if plan is None:
            plan = PersonPlan(existing=existing, values={f: existing[f] for f in PERSON_VALUE_FIELDS})
            self._person_plans_by_pk[existing["id"]] = plan
            self.persons.append(plan)
            self._index(plan)
        return plan

    def _index(self, plan: PersonPlan) -> None:
        values = plan.values
        if values["id_number"]:
            self.persons_by_id.setdefault((values["id_type"] or IdType.RESIDENT_ID, values["id_number"]), plan)
        if values["mobile"]:
            self.persons_by_contact.setdefault((values["mobile"], values["name"]), plan)

    def find_person(self, *, name: str | None, mobile: str | None, id_type: str, id_number: str | None
                    ) -> PersonPlan | None:
        """The person these details name, in the file or the registry; None if nobody matches."""
        if id_number:
            key = (id_type, id_number)
            plan = self.persons_by_id.get(key)
            if plan is None and key in self.db_persons_by_id:
                plan = self._person_plan(self.db_persons_by_id[key])
            if plan is not None:
                return plan
        if mobile and name:
            plan = self.persons_by_contact.get((mobile, name))
            if plan is None and (mobile, name) in self.db_persons_by_contact:
                plan = self._person_plan(self.db_persons_by_contact[(mobile, name)])
            # the same mobile and name but another ID number: somebody else
            if plan is not None and not (id_number and plan.values["id_number"]
                                         and (plan.values["id_type"], plan.values["id_number"]) != (id_type, id_number)):
                return plan
        return None

    def read_person(self, r: _Row, keys: dict[str, str], *, required: bool) -> dict | None:
        """Name, mobile and ID of the person a row names, validated; masked values kept aside."""
        name = r.parse(keys["name"], self._name, required=required)
        mobile = masked_mobile = id_number = masked_id = None
        if r.given(keys["mobile"]):
            if "*" in cells.text(r.raw(keys["mobile"])):
                masked_mobile = clean_compact(cells.text(r.raw(keys["mobile"])))
            else:
                mobile = r.parse(keys["mobile"], parse_mobile)
        id_type = r.parse(keys["id_type"], self.read_id_type) or IdType.RESIDENT_ID
        if r.given(keys["id_number"]):
            if "*" in cells.text(r.raw(keys["id_number"])):
                masked_id = clean_compact(cells.text(r.raw(keys["id_number"]))).upper()
            else:
                id_number = r.parse(keys["id_number"], lambda v: parse_id_number(cells.text(v), id_type))
        return {"name": name, "mobile": mobile, "masked_mobile": masked_mobile, "id_type": id_type,
                "id_number": id_number, "masked_id": masked_id}

    @staticmethod
    def _name(value: Any) -> str:
        name = clean_text(cells.text(value))
        if len(name) > NAME_MAX["name"]:
            raise cells.BadCell(_("is too long (at most %(max)s characters)"), max=NAME_MAX["name"])
        return name

    def check_masked(self, r: _Row, keys: dict[str, str], details: dict, plan: PersonPlan | None) -> None:
        """A masked number (from an export for a role that does not see it in full) is accepted only where it
        matches the person's registered number, and then it changes nothing."""
        if details["masked_id"] and (plan is None or mask_id_number(plan.values["id_number"]) != details["masked_id"]):
            r.bad(keys["id_number"], _("This ID number is masked; enter the full number or leave the cell empty."))
        if details["masked_mobile"] and (plan is None or mask_mobile(plan.values["mobile"]) != details["masked_mobile"]):
            r.bad(keys["mobile"], _("This mobile number is masked; enter the full number or leave the cell empty."))

    def person_in_house(self, house: HousePlan, name: str) -> PersonPlan | None:
        """A person registered without mobile or ID number is known by name within the house they live in."""
        found = {p.person for p in self.residencies.values() if p.house is house and p.person.values["name"] == name}
        if house.pk is not None:
            found |= {self._person_plan(self.db_persons_by_pk[r["person_id"]])
                      for r in self.db_residencies_by_house.get(house.pk, [])
                      if self.db_persons_by_pk[r["person_id"]]["name"] == name}
        return found.pop() if len(found) == 1 else None

    def person_by_name(self, name: str) -> PersonPlan | None:
        found = {p for p in self.persons if p.in_file and p.values["name"] == name}
        found |= {self._person_plan(p) for p in self.db_persons_by_name.get(name, [])}
        return found.pop() if len(found) == 1 else None

    def resident_person(self, r: _Row, details: dict, house: HousePlan) -> PersonPlan | None:
        keys = {"name": "name", "mobile": "mobile", "id_type": "id_type", "id_number": "id_number"}
        name, mobile, id_type, id_number = (details["name"], details["mobile"], details["id_type"],
                                            details["id_number"])
        if not (mobile or id_number or details["masked_mobile"] or details["masked_id"]):
            known = self.person_in_house(house, name)
            if known is None:
                r.bad("mobile", _("Give the mobile number or the ID number, so that the person can be recognised."))
                return None
            known.in_file = True
            return known
        plan = self.find_person(name=name, mobile=mobile, id_type=id_type, id_number=id_number)
        if plan is not None and plan.values["name"] != name:
            # found by ID number: one ID number, two names
            earlier = plan.given.get("name")
            if earlier is not None:
                r.bad("id_number", _("The same ID number is given for %(name)s in sheet %(sheet)s, row %(row)s."),
                      name=plan.values["name"], sheet=earlier[0], row=earlier[1])
            else:
                r.bad("id_number", _("This ID number is already registered to a person with another name "
                                     "(%(name)s)."), name=plan.values["name"])
            return None
        self.check_masked(r, keys, details, plan)
        if not r.ok:
            return None
        wanted = {"name": name}
        if mobile:
            wanted["mobile"] = mobile
        if id_number:
            wanted["id_type"], wanted["id_number"] = id_type, id_number
        if plan is None:
            plan = PersonPlan(existing=None, values={"name": name, "mobile": "", "id_type": "", "id_number": ""})
            self.persons.append(plan)
        for field_name, value in wanted.items():
            if field_name in plan.given and plan.given[field_name][2] != value:
                sheet, row, earlier = plan.given[field_name]
                column = {"id_type": "id_type", "id_number": "id_number"}.get(field_name, field_name)
                r.bad(column, _("This differs from %(value)s given for the same person in sheet %(sheet)s, "
                                "row %(row)s."), value=earlier, sheet=sheet, row=row)
                return None
        if self.mode == CREATE and plan.existing is not None:
            for field_name, value in wanted.items():
                if plan.existing[field_name] and plan.existing[field_name] != value:
                    r.bad(field_name, _("This person is registered with other details; create-only mode does not "
                                        "change them."))
                    return None
        for field_name, value in wanted.items():
            plan.given.setdefault(field_name, (r.sheet.title, r.row, value))
            plan.values[field_name] = value
        plan.in_file = True
        self._index(plan)
        return plan

    # --- residents ------------------------------------------------------------------------------------------
    def resident_row(self, r: _Row) -> None:
        key = self.house_key(r)
        details = self.read_person(r, {"name": "name", "mobile": "mobile", "id_type": "id_type",
                                       "id_number": "id_number"}, required=True)
        kind = r.parse("kind", self.read_residency_kind, required=True)
        share = r.parse("share", cells.parse_share)
        representative = r.parse("is_representative", cells.parse_bool)
        start_date = r.parse("start_date", cells.parse_date)
        if kind and kind not in OWNER_KINDS:
            if share is not None:
                r.bad("share", _("Only owners and co-owners hold a share."))
            if representative:
                r.bad("is_representative", _("The voting representative must be an owner of the house."))
        if key is None or not r.ok:
            return
        house = self.house_for(r, key, "house" if r.given("house") else "number")
        if house is None:
            return
        person = self.resident_person(r, details, house)
        if person is None:
            return
        slot = (house.key, person, kind)
        earlier = self.residencies.get(slot)
        if earlier is not None:
            r.bad("kind", _("Duplicate: this person is already registered in house %(house)s this way in sheet "
                            "%(sheet)s, row %(row)s."), house=house.code, sheet=earlier.sheet, row=earlier.row)
            return
        existing = None
        if house.pk is not None and person.pk is not None:
            existing = self.db_residencies.get((house.pk, person.pk, kind))
        if existing is not None and self.mode == CREATE:
            r.bad("kind", _("This person is already registered in house %(house)s this way (create-only mode does "
                            "not change it)."), house=house.code)
            return
        given = {"share": share, "is_representative": representative, "start_date": start_date}
        base = ({f: existing[f] for f in RESIDENCY_VALUE_FIELDS} if existing
                else {"share": None, "is_representative": False, "start_date": self.today})
        values = {**base, **{f: v for f, v in given.items() if v is not None}}
        self.residencies[slot] = ResidencyPlan(house=house, person=person, kind=kind, existing=existing,
                                               values=values, given={f for f, v in given.items() if v is not None},
                                               sheet=r.sheet.title, row=r.row,
                                               headers={k: r.sheet.header(k) for k in ("share", "is_representative")})

    def check_households(self) -> None:
        """Per house: at most one voting representative, and owners' shares adding up to at most 1."""
        by_house: dict[HouseKey, list[ResidencyPlan]] = defaultdict(list)
        for plan in self.residencies.values():
            by_house[plan.house.key].append(plan)
        for key, plans in by_house.items():
            house = self.houses[key]
            self._check_representative(house, plans)
            self._check_shares(house, plans)

    def _bad(self, plan: ResidencyPlan, column: str, reason: Any, value: Any, /, **params: Any) -> None:
        self.problems.add(plan.sheet, plan.row, plan.headers[column], value, reason, **params)

    def _check_representative(self, house: HousePlan, plans: list[ResidencyPlan]) -> None:
        named = [p for p in plans if p.values["is_representative"] and "is_representative" in p.given]
        for extra in named[1:]:
            self._bad(extra, "is_representative",
                      _("House %(house)s already has a voting representative in sheet %(sheet)s, row %(row)s."),
                      "是", house=house.code, sheet=named[0].sheet, row=named[0].row)
        if not named:
            return
        chosen = named[0]
        # Anyone else who represented the house until now stands down (as when a representative is named by
        # hand); their flag is cleared in the same transaction.
        for plan in plans:
            if plan is not chosen and plan.values["is_representative"] and "is_representative" not in plan.given:
                plan.values["is_representative"] = False
        in_file = {p.existing["id"] for p in plans if p.existing is not None}
        for r in self.db_residencies_by_house.get(house.pk, []) if house.pk is not None else []:
            if r["is_representative"] and r["id"] not in in_file:
                self.cleared_representatives.append(r)

    def _check_shares(self, house: HousePlan, plans: list[ResidencyPlan]) -> None:
        in_file = {p.existing["id"] for p in plans if p.existing is not None}
        shares = [r["share"] for r in (self.db_residencies_by_house.get(house.pk, []) if house.pk else [])
                  if r["id"] not in in_file and r["kind"] in OWNER_KINDS and r["share"] is not None]
        shares += [p.values["share"] for p in plans if p.kind in OWNER_KINDS and p.values["share"] is not None]
        total = sum(shares, Decimal(0))
        if total > 1:
            last = [p for p in plans if "share" in p.given][-1:] or plans[-1:]
            self._bad(last[0], "share", _("The owners' shares of house %(house)s add up to %(total)s, more than 1."),
                      last[0].values["share"], house=house.code, total=total.normalize())

    # --- vehicles -------------------------------------------------------------------------------------------
    def vehicle_row(self, r: _Row) -> None:
        plate_kind = r.parse("plate", lambda v: parse_plate(cells.text(v)), required=True)
        key = self.house_key(r, required=False)
        keys = {"name": "owner_name", "mobile": "owner_mobile", "id_type": "owner_id_type",
                "id_number": "owner_id_number"}
        details = self.read_person(r, keys, required=False)
        if plate_kind is None or not r.ok:
            return
        plate, kind = plate_kind
        house = self.house_for(r, key, "house" if r.given("house") else "number") if key else None
        if key and house is None:
            return
        person = None
        if any(details[k] for k in ("name", "mobile", "id_number", "masked_mobile", "masked_id")):
            person = self.vehicle_owner(r, keys, details)
            if person is None:
                return
        earlier = self.vehicles.get(plate)
        if earlier is not None:
            r.bad("plate", _("Duplicate: plate %(plate)s is also in sheet %(sheet)s, row %(row)s."),
                  plate=plate, sheet=earlier.sheet, row=earlier.row)
            return
        existing = self.db_vehicles.get(plate)
        if existing is not None:
            if self.mode == CREATE:
                r.bad("plate", _("Plate %(plate)s is already registered (create-only mode does not change it)."),
                      plate=plate)
                return
            if house is not None and existing["house_id"] is not None and existing["house_id"] != house.pk:
                r.bad("plate", _("Plate %(plate)s is already registered to house %(house)s."),
                      plate=plate, house=self.house_codes.get(existing["house_id"], ""))
                return
        self.vehicles[plate] = VehiclePlan(plate=plate, kind=kind, existing=existing, house=house, person=person,
                                           sheet=r.sheet.title, row=r.row)

    def vehicle_owner(self, r: _Row, keys: dict[str, str], details: dict) -> PersonPlan | None:
        name, mobile, id_number = details["name"], details["mobile"], details["id_number"]
        if not id_number and not mobile:
            known = self.person_by_name(name) if name and not (details["masked_id"] or details["masked_mobile"]) \
                else None
            if known is None:
                r.bad(keys["mobile"], _("Give the owner's mobile number or ID number, so that the owner can be "
                                        "recognised."))
            return known
        if not id_number and not name:
            r.bad(keys["name"], _("Give the owner's name with the mobile number."))
            return None
        plan = self.find_person(name=name, mobile=mobile, id_type=details["id_type"], id_number=id_number)
        if plan is None:
            r.bad(keys["id_number"] if id_number else keys["mobile"],
                  _("No such person is in the registry or in the residents sheet of this file."))
            return None
        if name and plan.values["name"] != name:
            r.bad(keys["name"], _("This ID number is registered to a person with another name (%(name)s)."),
                  name=plan.values["name"])
            return None
        self.check_masked(r, keys, details, plan)
        return plan if r.ok else None

    # --- the outcome ----------------------------------------------------------------------------------------
    def new_buildings(self) -> list[str]:
        return sorted({p.key[0] for p in self.houses.values() if p.existing is None} - set(self.db_buildings))

    def new_units(self) -> list[tuple[str, str]]:
        return sorted({p.key[:2] for p in self.houses.values() if p.existing is None} - set(self.db_units))

    def counts(self) -> dict[str, Counter]:
        counts: dict[str, Counter] = defaultdict(Counter)
        file_houses = [p for p in self.houses.values() if p.in_file]
        counts["buildings"]["created"] = len(self.new_buildings())
        counts["buildings"]["unchanged"] = len({p.key[0] for p in file_houses} & set(self.db_buildings))
        counts["units"]["created"] = len(self.new_units())
        counts["units"]["unchanged"] = len({p.key[:2] for p in file_houses} & set(self.db_units))
        for kind, plans in (("houses", file_houses), ("persons", [p for p in self.persons if p.in_file]),
                            ("residencies", list(self.residencies.values())),
                            ("vehicles", list(self.vehicles.values()))):
            for plan in plans:
                counts[kind][_outcome(plan)] += 1
        counts["residencies"]["updated"] += len(self.cleared_representatives)
        return counts


def _outcome(plan) -> str:
    if plan.existing is None:
        return "created"
    return "updated" if plan.changed else "unchanged"
