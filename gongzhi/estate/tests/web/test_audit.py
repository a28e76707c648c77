"""The audit log page: managers read every write, newest first, filtered by action, a page at a time."""

import pytest
from django.urls import reverse

from gongzhi.core.access import resolve_actor
from gongzhi.core.audit import audit_entry, audit_many
from gongzhi.estate import services


def audit_url(estate, **params):
    url = reverse("estate:audit", args=[estate.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_a_manager_sees_the_writes_with_their_changes(estate, registry, member, browser_of):
    # given a clerk corrected the area of 3-2-1502
    clerk = member("customer_service", estate)
    services.house_update(actor=resolve_actor(clerk, estate.pk), house_id=registry.house.pk, area_m2="129.00")
    # when a manager opens the audit log
    response = browser_of(member("manager", estate)).get(audit_url(estate))
    html = response.content.decode()
    # then the entry shows who, what, and the area before and after
    assert response.status_code == 200
    assert "house.update" in html and clerk.phone in html and "3-2-1502" in html
    assert "128.46" in html and "129.00" in html


def test_the_log_is_filtered_by_action(estate, registry, member, browser_of):
    actor = resolve_actor(member("customer_service", estate), estate.pk)
    services.house_update(actor=actor, house_id=registry.house.pk, status="rented")
    services.person_update(actor=actor, person_id=registry.spouse.pk, name="李强强")
    client = browser_of(member("manager", estate))
    only_people = client.get(audit_url(estate, action="person.")).context["entries"]
    assert [row["entry"].action for row in only_people] == ["person.update"]


def test_the_log_is_newest_first_and_paginated_by_cursor(estate, member, browser_of):
    audit_many([audit_entry(user=None, estate=estate, action="house.update", label=f"entry {n}")
                for n in range(60)])
    client = browser_of(member("manager", estate))
    first = client.get(audit_url(estate))
    labels = [row["entry"].object_label for row in first.context["entries"]]
    assert len(labels) == 50 and labels[0] == "entry 59"
    second = client.get(first.context["pager"]["next_url"])
    assert [row["entry"].object_label for row in second.context["entries"]][-1] == "entry 0"
    assert len(second.context["entries"]) == 10


def test_another_estates_entries_are_not_shown(estate, other_estate, member, browser_of):
    audit_many([audit_entry(user=None, estate=other_estate, action="house.update", label="elsewhere")])
    html = browser_of(member("manager", estate)).get(audit_url(estate)).content.decode()
    assert "elsewhere" not in html and "No entries." in html


@pytest.mark.parametrize("role", ["customer_service", "technician", "owner", "committee_chair"])
def test_everyone_but_managers_gets_403(estate, member, browser_of, role):
    response = browser_of(member(role, estate)).get(audit_url(estate))
    assert response.status_code == 403
    assert 'data-code="forbidden"' in response.content.decode()


def test_a_member_of_another_estate_gets_404_and_anonymous_is_sent_to_sign_in(estate, other_estate, member,
                                                                               browser_of):
    assert browser_of(member("manager", other_estate)).get(audit_url(estate)).status_code == 404
    response = browser_of().get(audit_url(estate))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
