"""The audit log is append-only in the database itself, and every write service leaves an entry in it."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction

from gongzhi.core.access import resolve_actor
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditEntry


@pytest.fixture
def entry(estate, member):
    user = member("manager", estate)
    return audit(user=user, estate=estate, action="house.update", before={"area_m2": "100.00"},
                 after={"area_m2": "101.00"}, label="3-2-1502")


def _refused(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_a_raw_update_is_refused_by_the_database(entry):
    _refused("UPDATE core_auditentry SET action = %s WHERE id = %s", ["house.delete", entry.pk])
    _refused("UPDATE core_auditentry SET after = NULL", [])
    entry.refresh_from_db()
    assert (entry.action, entry.after) == ("house.update", {"area_m2": "101.00"})


def test_a_raw_delete_is_refused_by_the_database(entry):
    _refused("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    _refused("DELETE FROM core_auditentry", [])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_orm_cannot_change_or_delete_either(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "house.update"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is a PostgreSQL statement")
def test_truncate_is_refused_on_postgresql(entry):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else the pending foreign-key checks refuse it first
    _refused("TRUNCATE core_auditentry", [])


def test_appending_still_works_after_a_refusal(entry, estate):
    _refused("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    audit(user=None, estate=estate, action="import.run", after={"rows": 3})
    assert AuditEntry.objects.filter(estate=estate).count() == 2


def test_an_entry_records_actor_time_action_object_and_states(entry, estate):
    assert entry.actor_label.endswith(entry.actor.phone)
    assert entry.at is not None and entry.at.tzinfo is not None
    assert (entry.estate_id, entry.object_label) == (estate.pk, "3-2-1502")


# --- every write service is audited ----------------------------------------------------------------------------
def _world(estate, member):
    from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory

    manager = member("manager", estate)
    actor = resolve_actor(manager, estate.pk)
    house = HouseFactory(estate=estate, unit__estate=estate, unit__building__estate=estate, area_m2="100.00")
    owner = PersonFactory(estate=estate)
    residency = ResidencyFactory(house=house, person=owner, start_date=datetime.date(2020, 1, 1))
    buyer = PersonFactory(estate=estate)
    return {"actor": actor, "house": house, "owner": owner, "residency": residency, "buyer": buyer,
            "manager": manager}


def _membership_grant(w):
    from gongzhi.accounts.services import membership_grant
    from gongzhi.accounts.tests.factories import UserFactory

    return membership_grant(actor=w["actor"], user=UserFactory(), role="guard")


def _membership_revoke(w):
    from gongzhi.accounts.services import membership_revoke

    return membership_revoke(actor=w["actor"], membership_id=_membership_grant(w).pk)


def _token_create(w):
    from gongzhi.accounts.services import token_create

    return token_create(user=w["manager"], name="app", estate_ids=[w["actor"].estate.pk])[0]


def _token_revoke(w):
    from gongzhi.accounts.services import token_revoke

    return token_revoke(user=w["manager"], token_id=_token_create(w).pk)


def _user_create(w):
    from gongzhi.accounts.services import user_create

    return user_create(actor_user=w["manager"], phone="13800000009", name="新用户", password=None)


def _estate(name):
    from gongzhi.estate import services

    return getattr(services, name)


WRITES = {
    # action: (call, state before recorded?, state after recorded?)
    "building.create": (lambda w: _estate("building_ensure")(actor=w["actor"], name="9栋"), False, True),
    "unit.create": (lambda w: _estate("unit_ensure")(actor=w["actor"], building=w["house"].building, name="7"),
                    False, True),
    "house.create": (lambda w: _estate("house_create")(actor=w["actor"], building="9", unit="1", number="101",
                                                       area_m2="88.8"), False, True),
    "house.update": (lambda w: _estate("house_update")(actor=w["actor"], house_id=w["house"].pk, area_m2="99"),
                     True, True),
    "person.create": (lambda w: _estate("person_create")(actor=w["actor"], name="赵六", mobile="13700001111"),
                      False, True),
    "person.update": (lambda w: _estate("person_update")(actor=w["actor"], person_id=w["owner"].pk, name="改名"),
                      True, True),
    "residency.add": (lambda w: _estate("residency_add")(actor=w["actor"], house_id=w["house"].pk,
                                                         person_id=w["buyer"].pk, kind="tenant"), False, True),
    "residency.end": (lambda w: _estate("residency_end")(actor=w["actor"], residency_id=w["residency"].pk),
                      True, True),
    "residency.update": (lambda w: _estate("residency_add")(actor=w["actor"], house_id=w["house"].pk,
                                                            person_id=w["buyer"].pk, kind="co_owner",
                                                            is_representative=True), True, True),
    "vehicle.register": (lambda w: _estate("vehicle_register")(actor=w["actor"], plate="京A54321",
                                                               house_id=w["house"].pk), False, True),
    "vehicle.deregister": (lambda w: _estate("vehicle_deregister")(
        actor=w["actor"], vehicle_id=_estate("vehicle_register")(actor=w["actor"], plate="京A54321").pk),
        False, True),
    "membership.grant": (_membership_grant, False, True),
    "membership.revoke": (_membership_revoke, True, True),
    "token.create": (_token_create, False, True),
    "token.revoke": (_token_revoke, False, True),
    "user.create": (_user_create, False, True),
}


@pytest.mark.parametrize("action", WRITES)
def test_every_write_service_leaves_an_audit_entry(estate, member, action):
    world = _world(estate, member)
    call, has_before, has_after = WRITES[action]
    started = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    call(world)

    entry = AuditEntry.objects.filter(id__gt=started, action=action).get()
    assert entry.actor_id == world["manager"].pk
    assert entry.object_type and entry.object_id
    assert (entry.before is not None) == has_before, entry.before
    assert (entry.after is not None) == has_after, entry.after
    if has_before and has_after:
        assert entry.before != entry.after


def test_the_change_of_owner_is_audited_step_by_step(estate, member):
    from gongzhi.estate.services import house_change_owner

    world = _world(estate, member)
    world["house"].developer_held = True
    world["house"].save()
    started = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    house_change_owner(actor=world["actor"], house_id=world["house"].pk, new_owner_ids=[world["buyer"].pk])

    actions = list(AuditEntry.objects.filter(id__gt=started).order_by("id").values_list("action", flat=True))
    assert actions == ["residency.end", "residency.add", "house.update"]


def test_a_failed_write_leaves_no_entry(estate, member):
    from gongzhi.core.errors import DomainError
    from gongzhi.estate.services import house_create

    world = _world(estate, member)
    count = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        house_create(actor=world["actor"], building="9", unit="1", number="101", area_m2="-1")
    assert AuditEntry.objects.count() == count
