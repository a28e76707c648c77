"""The electorate of an owners' vote, frozen when the vote opens (DOMAIN.md "Owners' votes": "the voter roll is
frozen when the vote opens; the tally is reproducible from it").

Headcount (DOMAIN.md): one house counts as one; an owner of several houses counts once; co-owners of one house count
once; all the developer's unsold or undelivered houses together count once. Houses linked by a shared current owner
form one unit (union-find); the unit is named after its smallest house id. Everything is read with ``values_list``
so that an estate of 100,000 houses is computed in a few queries."""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError
from gongzhi.estate.choices import OWNER_KINDS, HouseKind, HouseStatus
from gongzhi.estate.models import House, Residency

from .choices import HeadKind

DEVELOPER_UNIT = "developer"
BATCH = 2000


@dataclass
class RollRow:
    house_id: int
    house_code: str
    area_cents: int
    area_source: str
    head_unit: str
    head_kind: str  # HeadKind
    representative_id: int | None
    owners: list = field(default_factory=list)  # [[person_id, name], ...]


def _cents(area) -> int:
    return int(area.scaleb(2))  # Decimal with 2 places: exact


def _find(parent: dict, x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        parent[x], x = root, parent[x]
    return root


def roll_compute(*, estate, on: datetime.date, house_ids: Iterable[int] | None = None) -> list[RollRow]:
    """Every house of the estate (or only ``house_ids``: a fund project's charge scope) with its voting area and
    headcount unit, ordered by house id. Parking houses are on the roll only when the estate's assembly rules count
    parking spaces (vote.parking_spaces_count)."""
    houses = House.objects.filter(estate=estate)
    wanted = None
    if isinstance(house_ids, QuerySet):
        houses = houses.filter(id__in=house_ids)
    elif house_ids is not None:
        wanted = set(house_ids)
    if not estate.rules().get("vote.parking_spaces_count"):
        houses = houses.exclude(kind=HouseKind.PARKING)
    rows = houses.order_by("id").values_list("id", "building__name", "unit__name", "number", "area_m2",
                                             "area_source", "status", "developer_held")
    if wanted is not None:
        rows = [r for r in rows if r[0] in wanted]
    else:
        rows = list(rows)
    in_roll = {r[0] for r in rows}
    developer = {r[0] for r in rows if r[7] or r[6] == HouseStatus.UNSOLD}

    owners: dict[int, list] = {}  # house id -> [(start, residency id, person id, name, representative)]
    residencies = (Residency.objects.filter(estate=estate, kind__in=OWNER_KINDS).current(on)
                   .values_list("house_id", "person_id", "person__name", "is_representative", "start_date", "id"))
    for house_id, person_id, name, representative, start, rid in residencies:
        if house_id in in_roll:
            owners.setdefault(house_id, []).append((start or datetime.date.min, rid, person_id, name, representative))

    # Union-find over the owners' houses: a person owning (or co-owning) several houses joins them into one unit.
    parent = {house_id: house_id for house_id in owners if house_id not in developer}
    first_house: dict[int, int] = {}
    for house_id in parent:
        for _start, _rid, person_id, _name, _rep in owners[house_id]:
            other = first_house.setdefault(person_id, house_id)
            a, b = _find(parent, house_id), _find(parent, other)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the root is always the component's smallest house id

    result = []
    for house_id, building, unit, number, area, source, _status, _held in rows:
        registered = sorted(owners.get(house_id, []))
        representative = next((o[2] for o in registered if o[4]), registered[0][2] if registered else None)
        if house_id in developer:
            head_unit, head_kind = DEVELOPER_UNIT, HeadKind.DEVELOPER
        elif registered:
            head_unit, head_kind = f"u:{_find(parent, house_id)}", HeadKind.OWNERS
        else:  # the owner exists in law even when the registry does not know them: the house still counts
            head_unit, head_kind = f"u:{house_id}", HeadKind.UNREGISTERED
        result.append(RollRow(house_id=house_id, house_code=f"{building}-{unit}-{number}", area_cents=_cents(area),
                              area_source=source, head_unit=head_unit, head_kind=str(head_kind),
                              representative_id=representative,
                              owners=[[o[2], o[3]] for o in registered]))
    return result


def unit_ranks(rows) -> dict[int, int]:
    """house id -> its rank within its unit: 0 for the house of the largest area (ties: the lowest house id), whose
    counted ballot speaks for the unit's head. ``rows``: (house id, unit, area cents)."""
    rows = list(rows)
    sizes = Counter(unit for _house, unit, _area in rows)
    ranks = {house_id: 0 for house_id, unit, _area in rows if sizes[unit] == 1}  # most units: one house
    seen: dict = {}
    shared = [r for r in rows if sizes[r[1]] > 1]
    for house_id, unit, _area in sorted(shared, key=lambda r: (r[1], -r[2], r[0])):
        ranks[house_id] = seen.get(unit, 0)
        seen[unit] = ranks[house_id] + 1
    return ranks


def roll_freeze(*, vote) -> None:
    """Inside the caller's transaction (vote_open): compute the roll for vote.estate on the opening date (the fund
    project's charge scope when vote.fund_project), bulk-insert RollEntry rows, and set the totals, the roll digest
    and the rule set on the vote. Refuses (code "empty_roll") an electorate with no houses."""
    from gongzhi.ledger.models import FundProjectHouse

    from .models import RollEntry
    from .published import roll_publication
    from .rules import rules_for

    estate = vote.estate
    on = timezone.localdate(vote.opened_at) if vote.opened_at else timezone.localdate()
    scope = None
    if vote.fund_project_id:
        scope = FundProjectHouse.objects.filter(project_id=vote.fund_project_id).values("house_id")
    rows = roll_compute(estate=estate, on=on, house_ids=scope)
    if not rows:
        raise DomainError(_("The vote has nobody to vote: its electorate has no houses."), code="empty_roll")
    RollEntry.objects.bulk_create(
        (RollEntry(estate_id=estate.id, vote_id=vote.id, house_id=r.house_id, house_code=r.house_code,
                   area_m2=_area(r.area_cents), area_source=r.area_source, head_unit=r.head_unit,
                   head_kind=r.head_kind, representative_id=r.representative_id, owners=r.owners) for r in rows),
        batch_size=BATCH)
    rule_set, rules = rules_for(estate)
    vote.total_area_m2 = _area(sum(r.area_cents for r in rows))
    vote.total_heads = len({r.head_unit for r in rows})
    vote.roll_sha256 = roll_publication([(r.house_id, r.house_code, _area_text(r.area_cents), r.area_source,
                                          r.head_unit, r.head_kind) for r in rows])[1]
    vote.rules, vote.rule_set = rules.as_json(), rule_set
    vote.save(update_fields=["total_area_m2", "total_heads", "roll_sha256", "rules", "rule_set"])


def _area(cents: int):
    from decimal import Decimal

    return Decimal(cents).scaleb(-2)


def _area_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def estate_totals(*, estate, on: datetime.date) -> tuple[int, int]:
    """(area in hundredths of m², heads) of the whole estate on ``on``: the denominators of an assembly request."""
    rows = roll_compute(estate=estate, on=on)
    return sum(r.area_cents for r in rows), len({r.head_unit for r in rows})


def head_units_of(*, estate, on: datetime.date, house_ids) -> dict[int, str]:
    """house id -> headcount unit (estate-wide), for counting the heads behind a set of signatures."""
    wanted = set(house_ids)
    return {r.house_id: r.head_unit for r in roll_compute(estate=estate, on=on) if r.house_id in wanted}
