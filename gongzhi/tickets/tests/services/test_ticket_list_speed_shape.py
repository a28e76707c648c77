"""The ticket list's fast shape (bench/README.md, tickets): ``TicketPolicy.scope`` written on the tickets' own
columns shows exactly what the rules showed before, for every role; the API's list rows made from ``values()``
and a few name lookups equal ``ticket_row_data`` of model instances; the list costs the same few queries however
long it is, and its query on the tickets joins nothing."""

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.choices import RESIDENT_ROLES
from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.core.access import Actor
from gongzhi.estate.models import Person
from gongzhi.estate.policies import my_house_ids
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory
from gongzhi.tickets import selectors
from gongzhi.tickets.choices import TicketKind
from gongzhi.tickets.models import Ticket
from gongzhi.tickets.policies import STAFF_COMPLAINT_ROLES, is_desk, is_technician
from gongzhi.tickets.presenters import ticket_row_data, ticket_rows_data

from ..factories import CategoryFactory, TicketFactory

ROLES = ["resident", "family", "neighbour", "manager", "dispatcher", "customer_service", "technician",
         "technician2", "guard"]


def old_household_q(actor: Actor) -> Q:
    """TicketPolicy.household_q as it was: a join through the person a ticket was submitted for."""
    if actor.user_id is None:
        return Q(pk__in=[])
    own = Q(submitted_by_id=actor.user_id, on_behalf_of_person__isnull=True)
    own |= Q(on_behalf_of_person__user_id=actor.user_id)
    if actor.has_any(RESIDENT_ROLES):
        own |= Q(house_id__in=my_house_ids(actor))
    return own


def old_scope(actor: Actor, qs):
    """TicketPolicy.scope as it was before the list was made fast: the reference for the parity tests."""
    if is_desk(actor):
        if actor.has_any(STAFF_COMPLAINT_ROLES):
            return qs.exclude(about_staff_id=actor.user_id)
        return qs.filter(Q(about_staff__isnull=True) | old_household_q(actor))
    visible = Q(pk__in=[])
    if is_technician(actor):
        visible |= Q(assignee_id=actor.user_id)
        visible |= Q(kind=TicketKind.REPAIR)
    visible |= old_household_q(actor)
    return qs.filter(visible).exclude(Q(about_staff__isnull=False) & ~old_household_q(actor))


def person_of(actor: Actor) -> Person:
    return Person.objects.get(user=actor.user)


@pytest.fixture
def world(desk, other_estate):
    """Every kind of ticket the rules tell apart, for the desk world's people."""
    d = desk
    complaint = CategoryFactory(estate=d.estate, name="投诉", kind="complaint")
    suggestion = CategoryFactory(estate=d.estate, name="建议", kind="suggestion")
    former_home = HouseFactory(unit=d.home.unit, number="1503")
    moved_out = ResidencyFactory(house=former_home, person=person_of(d.resident), kind="owner",
                                 is_representative=False, start_date=datetime.date(2020, 1, 1),
                                 end_date=datetime.date(2021, 1, 1))
    nameless = UserFactory(name="")  # shown by phone number
    walk_in = PersonFactory(estate=d.estate, name="无账号住户")  # a person without a login
    common = {"house": None, "unit": None, "scope": "common", "place": "北门", "building": d.home.building,
              "estate": d.estate}
    made = [
        d.ticket(),  # the resident's own repair of their home
        d.ticket(submitted_by=d.family.user, title="family"),
        d.ticket(house=d.next_door, submitted_by=d.neighbour.user),
        d.ticket(house=former_home, submitted_by=nameless),  # the house the resident left
        d.ticket(category=suggestion, kind="suggestion", submitted_by=d.resident.user, **common),
        d.ticket(category=suggestion, kind="suggestion", submitted_by=d.neighbour.user, **common),
        # the desk reporting for someone
        d.ticket(house=d.next_door, submitted_by=d.customer_service.user, on_behalf_of_person=person_of(d.resident),
                 channel="phone"),
        d.ticket(category=suggestion, kind="suggestion", submitted_by=d.dispatcher.user,
                 on_behalf_of_person=person_of(d.neighbour), channel="phone", **common),
        d.ticket(category=suggestion, kind="suggestion", submitted_by=d.dispatcher.user,
                 on_behalf_of_person=walk_in, channel="phone", **common),
        d.ticket(house=d.next_door, submitted_by=d.resident.user, on_behalf_of_person=person_of(d.neighbour)),
        # complaints, anonymous ones and ones about staff members
        d.ticket(category=complaint, kind="complaint", anonymous=True),
        d.ticket(category=complaint, kind="complaint", about_staff=d.technician.user),
        d.ticket(category=complaint, kind="complaint", about_staff=d.dispatcher.user, anonymous=True,
                 house=d.next_door, submitted_by=d.neighbour.user),
        d.ticket(category=complaint, kind="complaint", about_staff=d.manager.user, submitted_by=d.family.user),
        d.ticket(category=complaint, kind="complaint", about_staff=d.customer_service.user,
                 submitted_by=d.dispatcher.user, on_behalf_of_person=person_of(d.resident), **common),
        d.ticket(category=complaint, kind="complaint", about_staff=d.technician2.user, submitted_by=d.technician.user,
                 **common),
        # assigned work
        d.ticket(status="assigned", assignee=d.technician.user),
        d.ticket(category=suggestion, kind="suggestion", status="assigned", assignee=d.technician.user, **common),
        d.ticket(category=complaint, kind="complaint", status="assigned", assignee=d.technician2.user,
                 submitted_by=d.neighbour.user, house=d.next_door),
        d.ticket(status="in_progress", assignee=d.dispatcher.user, submitted_by=d.guard.user, house=d.next_door),
        d.ticket(submitted_by=d.guard.user, category=suggestion, kind="suggestion", **common),
    ]
    foreign = TicketFactory(house__unit__building__estate=other_estate, category__estate=other_estate,
                            submitted_by=d.resident.user)
    return {"tickets": made, "foreign": foreign, "moved_out": moved_out}


def test_the_scope_shows_each_role_exactly_what_the_rules_showed_before(desk, world):
    seen = {}
    for role in ROLES:
        actor = getattr(desk, role)
        before = set(old_scope(actor, Ticket.objects.for_estate(desk.estate)).values_list("pk", flat=True))
        now = set(Ticket.objects.restrict(actor).values_list("pk", flat=True))
        assert now == before, role
        assert world["foreign"].pk not in now
        seen[role] = now
    # the world tells the roles apart, so the comparison above could fail
    assert len({frozenset(s) for s in seen.values()}) >= len(ROLES) - 1
    t = world["tickets"]
    about_dispatcher, about_cs, assigned_suggestion = t[12].pk, t[14].pk, t[17].pk
    assert about_dispatcher in seen["manager"] and about_dispatcher in seen["neighbour"]
    assert about_dispatcher not in seen["dispatcher"] and about_dispatcher not in seen["customer_service"]
    assert about_cs in seen["resident"] and about_cs in seen["manager"]
    assert not {about_cs} & (seen["dispatcher"] | seen["customer_service"] | seen["family"])
    assert assigned_suggestion in seen["technician"] and assigned_suggestion not in seen["technician2"]
    assert all(seen[role] for role in ROLES)


def test_the_household_sees_what_the_desk_reported_for_them_and_not_the_house_they_left(desk, world):
    resident = set(Ticket.objects.restrict(desk.resident).values_list("title", "on_behalf_of_person_id",
                                                                      "house_id"))
    assert any(obo == person_of(desk.resident).pk for _t, obo, _h in resident)
    assert not any(house == world["moved_out"].house_id for _t, _o, house in resident)
    # and a ticket the resident submitted for the neighbour is the neighbour's, not the resident's
    assert not any(obo == person_of(desk.neighbour).pk and house == desk.next_door.pk
                   for _t, obo, house in resident)


def test_a_timeline_follows_the_new_scope(desk, world):
    from gongzhi.tickets.models import TicketEvent

    for ticket in world["tickets"]:
        TicketEvent.objects.create(estate=desk.estate, ticket=ticket, action="submit", to_status="submitted",
                                   actor=ticket.submitted_by)
    for role in ROLES:
        actor = getattr(desk, role)
        tickets = set(Ticket.objects.restrict(actor).values_list("pk", flat=True))
        assert set(TicketEvent.objects.restrict(actor).values_list("ticket_id", flat=True)) == tickets, role


@pytest.mark.parametrize("role", ROLES)
def test_the_api_rows_equal_ticket_row_data_for_every_role(desk, world, role):
    actor = getattr(desk, role)
    fast = selectors.ticket_row_page(actor=actor, limit=200)
    slow = selectors.ticket_page(actor=actor, limit=200)
    assert ticket_rows_data(actor, fast.items) == [ticket_row_data(actor, t) for t in slow.items]
    assert fast.next_cursor is None and slow.next_cursor is None
    assert fast.items


def test_the_rows_hide_and_name_as_before(desk, world):
    rows = {r["title"] + str(r["id"]): r for r in ticket_rows_data(
        desk.dispatcher, selectors.ticket_row_page(actor=desk.dispatcher, limit=200).items)}
    anonymous = next(r for r in rows.values() if r["anonymous"])
    assert anonymous["submitted_by"] is None and anonymous["house"] is None and anonymous["house_id"] is None
    nameless = next(r for r in rows.values() if r["house"] == "3-2-1503")
    assert nameless["submitted_by"]["name"].isdigit()  # a user without a name shows as their phone number
    common = next(r for r in rows.values() if r["scope"] == "common")
    assert common["building"] == "3" and common["unit"] is None and common["house"] is None
    assert all(r["about_staff"] is None for r in rows.values())  # the dispatcher is not a manager
    managers = ticket_rows_data(desk.manager, selectors.ticket_row_page(actor=desk.manager, limit=200).items)
    assert any(r["about_staff"] and r["about_staff"]["id"] == desk.technician.user_id for r in managers)


@pytest.mark.parametrize("role", ["resident", "dispatcher", "manager", "technician"])
def test_pages_and_filters_match_the_old_list(desk, world, role):
    actor = getattr(desk, role)
    for filters in ({}, {"status": "assigned"}, {"kind": "complaint"}, {"assignee_id": desk.technician.user_id},
                    {"building_id": desk.home.building_id}, {"category_id": desk.category.pk, "status": "submitted"}):
        cursor, fast_ids, slow_ids = None, [], []
        while True:
            page = selectors.ticket_row_page(actor=actor, cursor=cursor, limit=3, **filters)
            fast_ids += [r["id"] for r in page.items]
            if not (cursor := page.next_cursor):
                break
        cursor = None
        while True:
            page = selectors.ticket_page(actor=actor, cursor=cursor, limit=3, **filters)
            slow_ids += [t.pk for t in page.items]
            if not (cursor := page.next_cursor):
                break
        assert fast_ids == slow_ids, filters
        assert fast_ids == sorted(fast_ids, reverse=True)


def _grow(desk, count):
    for i in range(count):
        desk.ticket(submitted_by=UserFactory(), assignee=UserFactory(), status="assigned", title=f"t{i}",
                    house=desk.home if i % 2 else HouseFactory(unit__building__estate=desk.estate),
                    on_behalf_of_person=PersonFactory(estate=desk.estate))


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("role", ["dispatcher", "manager", "resident", "technician"])
def test_the_list_costs_the_same_few_queries_however_long(desk, role, count, django_assert_max_num_queries):
    _grow(desk, count)
    actor = getattr(desk, role)
    # one: the names come from one-row subqueries, not from queries of their own
    with django_assert_max_num_queries(1):
        rows = ticket_rows_data(actor, selectors.ticket_row_page(actor=actor).items)
    assert rows


@pytest.mark.parametrize("role", ["dispatcher", "manager", "resident", "family", "technician", "guard"])
def test_the_tickets_query_joins_nothing(desk, world, role):
    actor = getattr(desk, role)
    with CaptureQueriesContext(connection) as captured:
        selectors.ticket_row_page(actor=actor, status="submitted")
    assert len(captured.captured_queries) == 1
    tickets = captured.captured_queries[0]["sql"]
    # the names are one-row subqueries in the SELECT list; the policy's subqueries (in WHERE) may join
    from_clause = tickets.split('FROM "tickets_ticket"', 1)[1].split(" WHERE ", 1)[0]
    assert "JOIN" not in from_clause and from_clause.strip() == ""
    assert 'FROM "estate_house"' in tickets and 'FROM "accounts_user"' in tickets


def test_the_residents_tickets_are_looked_up_by_index_not_by_walking_the_estate(desk, world):
    with CaptureQueriesContext(connection) as captured:
        list(Ticket.objects.restrict(desk.resident).order_by("-pk")[:51])
    sql = captured.captured_queries[0]["sql"]
    # id IN (submitted_by … UNION … on_behalf_of_person … UNION … house): each branch on its own index
    assert '"tickets_ticket"."id" IN (' in sql and "UNION" in sql
    assert "estate_person\".\"user_id\" = " not in sql.split("(SELECT")[0]


@pytest.mark.parametrize("role", ["dispatcher", "resident", "manager"])
def test_the_endpoint_answers_the_rows_and_a_budget(desk, world, api, role, django_assert_max_num_queries):
    actor = getattr(desk, role)
    client = api(actor.user, [desk.estate])
    url = f"/api/v1/estates/{desk.estate.pk}/tickets?limit=5"
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    expected = [ticket_row_data(actor, t) for t in selectors.ticket_page(actor=actor, limit=5).items]
    assert [r["id"] for r in body["items"]] == [r["id"] for r in expected]
    assert [r["submitted_by"] for r in body["items"]] == [r["submitted_by"] for r in expected]
    assert [r["house"] for r in body["items"]] == [r["house"] for r in expected]
    assert body["next_cursor"]
