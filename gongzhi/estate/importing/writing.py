"""Writing a checked plan: bulk inserts and updates in batches, one audit entry per created or updated object.

Runs inside the import's transaction; a constraint the checks missed (a concurrent writer) rolls everything back.
"""

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from gongzhi.accounts.models import User
from gongzhi.core.access import Actor
from gongzhi.core.audit import audit_entry, snapshot
from gongzhi.core.models import AuditEntry

from ..models import Building, House, Person, Residency, Unit, Vehicle
from ..services import HOUSE_FIELDS, PERSON_FIELDS, sort_key
from .planning import HOUSE_VALUE_FIELDS, RESIDENCY_VALUE_FIELDS, Planner

BATCH = 500
RESIDENCY_FIELDS = ["house_id", "person_id", "kind", "share", "is_representative", "start_date"]
VEHICLE_FIELDS = ["plate", "kind", "person_id", "house_id"]


# Field types whose Python values the database adapter cannot take as they are (dates on SQLite, JSON, ...).
_ADAPTED = {"DecimalField", "DateField", "DateTimeField", "TimeField", "JSONField", "UUIDField", "DurationField"}


def _insert(model, objects: list) -> None:
    """Insert and learn the primary keys: COPY on PostgreSQL, one multi-row INSERT … RETURNING per batch on SQLite
    (docs/adr/0007). Values are taken as they are, except for the field types the adapter needs prepared, which go
    through the field's own get_db_prep_save (bulk_create prepares every value, about half of an import of
    10,000 houses went there)."""
    if not objects:
        return
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover - old SQLite only
        for obj in objects:
            obj.save(force_insert=True)
        return
    meta = model._meta
    now = timezone.now()
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for obj in objects:
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(obj, f.attname, now)
    # per adapted field, a cache of prepared values: an import repeats the same few dates and areas many times
    caches = [{} if f.get_internal_type() in _ADAPTED else None for f in fields]
    if connection.vendor == "postgresql":
        _copy(model, objects, fields, caches)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, objects)))
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch):
            chunk = objects[start:start + batch]
            params = [_prepared(obj, fields, caches) for obj in chunk]
            # Only quoted table and column names and %s placeholders are formatted in.
            sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))} "  # noqa: S608
            cursor.execute(sql + f"RETURNING {quote(meta.pk.column)}", [v for values in params for v in values])
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                _saved(obj, pk)


def _prepared(obj, fields, caches) -> list:
    values = []
    for f, cache in zip(fields, caches, strict=True):
        value = getattr(obj, f.attname)
        if cache is not None and value is not None:
            try:
                prepared = cache.get(value)
                if prepared is None:
                    prepared = cache[value] = f.get_db_prep_save(value, connection)
            except TypeError:  # unhashable (JSON)
                prepared = f.get_db_prep_save(value, connection)
            value = prepared
        values.append(value)
    return values


def _saved(obj, pk) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def _copy(model, objects: list, fields, caches) -> None:
    """PostgreSQL: take the primary keys from the table's sequence in one query, then COPY the rows in (psycopg
    streams them in C), an order of magnitude faster than INSERT for tens of thousands of rows."""
    meta = model._meta
    quote = connection.ops.quote_name
    table, pk = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [table, pk, len(objects)])
        keys = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(quote(c) for c in [pk, *(f.column for f in fields)])
        # Only the quoted table and column names are formatted in.
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for key, obj in zip(keys, objects, strict=True):
                copy.write_row([key, *_prepared(obj, fields, caches)])
    for key, obj in zip(keys, objects, strict=True):
        _saved(obj, key)


def _update(model, objects: list, fields: Iterable[str]) -> None:
    fields = sorted(set(fields))
    if objects and fields:
        model.objects.bulk_update(objects, fields, batch_size=BATCH)


class Writer:
    def __init__(self, *, actor: Actor, plan: Planner):
        self.actor = actor
        self.estate = actor.estate
        self.plan = plan
        self.now = timezone.now()
        self.entries: list[AuditEntry] = []

    def audit(self, action: str, obj, *, label: str, before: dict | None = None, after: dict | None = None) -> None:
        self.entries.append(audit_entry(user=self.actor.user, estate=self.estate, action=action, obj=obj,
                                        before=before, after=after, label=label))

    def write(self) -> list[AuditEntry]:
        self.structure()
        self.houses()
        self.persons()
        self.residencies()
        self.vehicles()
        # One AuditEntry per created or updated object, built by audit_entry like every other write's. They are
        # inserted with the same multi-row INSERT as the registry rows: audit_many's bulk_create spent about
        # 1.5 s of CPU on the 30,000 entries of a 10,000-house import, this takes about a third of that.
        _insert(AuditEntry, self.entries)
        return self.entries

    # --- buildings and units ----------------------------------------------------------------------------------
    def structure(self) -> None:
        plan = self.plan
        buildings = [Building(estate_id=self.estate.pk, name=name, sort_key=sort_key(name)) for name in plan.new_buildings()]
        _insert(Building, buildings)
        self.building_ids = {**plan.db_buildings, **{b.name: b.pk for b in buildings}}
        for b in buildings:
            self.audit("building.create", b, label=str(b.name), after=snapshot(b))
        units = [Unit(estate_id=self.estate.pk, building_id=self.building_ids[b], name=u, sort_key=sort_key(u))
                 for b, u in plan.new_units()]
        _insert(Unit, units)
        names = {v: k for k, v in self.building_ids.items()}
        self.unit_ids = {**plan.db_units, **{(names[u.building_id], u.name): u.pk for u in units}}
        for u in units:
            self.audit("unit.create", u, label=f"{names[u.building_id]}-{u.name}", after=snapshot(u))

    # --- houses -----------------------------------------------------------------------------------------------
    def houses(self) -> None:
        created, updated, changed_fields = [], [], set()
        for plan in self.plan.houses.values():
            if not plan.in_file:
                continue
            b, u, n = plan.key
            if plan.existing is None:
                house = House(estate_id=self.estate.pk, building_id=self.building_ids[b], unit_id=self.unit_ids[(b, u)],
                              number=n, **plan.values)
                created.append((plan, house))
            elif plan.changed:
                e = plan.existing
                house = House(id=e["id"], estate_id=self.estate.pk, building_id=e["building_id"], unit_id=e["unit_id"],
                              number=e["number"], **{f: e[f] for f in HOUSE_VALUE_FIELDS})
                before = snapshot(house, HOUSE_FIELDS)
                for f in plan.changed:
                    setattr(house, f, plan.values[f])
                house.updated_at = self.now
                changed_fields.update(plan.changed)
                updated.append((plan, house, before))
        _insert(House, [h for _p, h in created])
        for plan, house in created:
            plan.pk = house.pk
            self.audit("house.create", house, label=plan.code, after=snapshot(house, HOUSE_FIELDS))
        _update(House, [h for _p, h, _b in updated], changed_fields | {"updated_at"})
        for plan, house, before in updated:
            self.audit("house.update", house, label=plan.code, before=before, after=snapshot(house, HOUSE_FIELDS))

    # --- persons ----------------------------------------------------------------------------------------------
    def persons(self) -> None:
        created, updated, changed_fields = [], [], set()
        for plan in self.plan.persons:
            if not plan.in_file:
                continue
            if plan.existing is None:
                person = Person(estate_id=self.estate.pk, **plan.values)
                created.append((plan, person))
            elif plan.changed:
                e = plan.existing
                person = Person(id=e["id"], estate_id=self.estate.pk, user_id=e["user_id"],
                                **{f: e[f] for f in ("name", "mobile", "id_type", "id_number")})
                before = snapshot(person, PERSON_FIELDS)
                for f in plan.changed:
                    setattr(person, f, plan.values[f])
                person.updated_at = self.now
                changed_fields.update(plan.changed)
                updated.append((plan, person, before))
        # A registry person with a mobile number is linked to the login with that number, as person_create does,
        # so that the resident sees their own houses in the portal as soon as they sign in.
        unlinked = [p for _plan, p in created] + [p for _plan, p, _b in updated if p.user_id is None]
        users = self._users_by_phone({p.mobile for p in unlinked if p.mobile})
        for person in unlinked:
            if person.mobile in users:
                person.user_id = users[person.mobile]
                if person.pk is not None:
                    changed_fields.add("user_id")
        _insert(Person, [p for _plan, p in created])
        for plan, person in created:
            plan.pk = person.pk
            self.audit("person.create", person, label=person.name, after=snapshot(person, PERSON_FIELDS))
        _update(Person, [p for _plan, p, _b in updated], {"user" if f == "user_id" else f for f in changed_fields}
                | {"updated_at"})
        for _plan, person, before in updated:
            self.audit("person.update", person, label=person.name, before=before,
                       after=snapshot(person, PERSON_FIELDS))

    @staticmethod
    def _users_by_phone(phones: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        ordered = sorted(phones)
        for start in range(0, len(ordered), BATCH):
            found.update(User.objects.filter(phone__in=ordered[start:start + BATCH]).values_list("phone", "id"))
        return found

    # --- residencies ------------------------------------------------------------------------------------------
    def residencies(self) -> None:
        plan = self.plan
        # Representatives who stand down are written first: a house has at most one open representative at any
        # moment (the database enforces it row by row).
        standing_down, updated, created = [], [], []
        for r in plan.cleared_representatives:
            residency = self._residency(r)
            before = snapshot(residency, RESIDENCY_FIELDS)
            residency.is_representative = False
            standing_down.append((self.plan.house_codes.get(r["house_id"], ""), residency, before))
        for rp in plan.residencies.values():
            if rp.existing is None:
                residency = Residency(estate_id=self.estate.pk, house_id=rp.house.pk, person_id=rp.person.pk, kind=rp.kind,
                                      **rp.values)
                created.append((rp, residency))
            elif rp.changed:
                residency = self._residency(rp.existing)
                before = snapshot(residency, RESIDENCY_FIELDS)
                for f in rp.changed:
                    setattr(residency, f, rp.values[f])
                if before["is_representative"] and not residency.is_representative:
                    standing_down.append((rp.house.code, residency, before))
                else:
                    updated.append((rp.house.code, residency, before))
        _update(Residency, [r for _c, r, _b in standing_down], RESIDENCY_VALUE_FIELDS)
        _update(Residency, [r for _c, r, _b in updated], RESIDENCY_VALUE_FIELDS)
        _insert(Residency, [r for _p, r in created])
        for code, residency, before in standing_down + updated:
            self.audit("residency.update", residency, label=code, before=before,
                       after=snapshot(residency, RESIDENCY_FIELDS))
        for rp, residency in created:
            self.audit("residency.add", residency, label=f"{rp.house.code} {rp.person.values['name']}",
                       after=snapshot(residency, RESIDENCY_FIELDS))

    def _residency(self, existing: dict[str, Any]) -> Residency:
        return Residency(id=existing["id"], estate_id=self.estate.pk, house_id=existing["house_id"],
                         person_id=existing["person_id"], kind=existing["kind"],
                         **{f: existing[f] for f in RESIDENCY_VALUE_FIELDS})

    # --- vehicles ---------------------------------------------------------------------------------------------
    def vehicles(self) -> None:
        created, updated, changed_fields = [], [], set()
        for vp in self.plan.vehicles.values():
            house_id = vp.house.pk if vp.house is not None else None
            person_id = vp.person.pk if vp.person is not None else None
            if vp.existing is None:
                vehicle = Vehicle(estate_id=self.estate.pk, plate=vp.plate, kind=vp.kind, house_id=house_id,
                                  person_id=person_id)
                created.append(vehicle)
            elif vp.changed:
                e = vp.existing
                vehicle = Vehicle(id=e["id"], estate_id=self.estate.pk, plate=e["plate"], kind=e["kind"],
                                  house_id=e["house_id"], person_id=e["person_id"])
                before = snapshot(vehicle, VEHICLE_FIELDS)
                vehicle.kind = vp.kind
                if house_id is not None:
                    vehicle.house_id = house_id
                if person_id is not None:
                    vehicle.person_id = person_id
                changed_fields.update(vp.changed)
                updated.append((vehicle, before))
        _insert(Vehicle, created)
        for vehicle in created:
            self.audit("vehicle.register", vehicle, label=vehicle.plate, after=snapshot(vehicle, VEHICLE_FIELDS))
        _update(Vehicle, [v for v, _b in updated], {f.removesuffix("_id") for f in changed_fields})
        for vehicle, before in updated:
            self.audit("vehicle.update", vehicle, label=vehicle.plate, before=before,
                       after=snapshot(vehicle, VEHICLE_FIELDS))
