"""The staff console: dashboard → building → unit → house → person, gated and masked by the policies."""

import pytest
from django.urls import reverse

from gongzhi.core.masking import mask_id_number

from .conftest import OWNER_MOBILE, page


def urls(estate, registry) -> dict[str, str]:
    e = estate.pk
    return {
        "console": reverse("estate:console", args=[e]),
        "building": reverse("estate:building", args=[e, registry.building.pk]),
        "unit": reverse("estate:unit", args=[e, registry.unit.pk]),
        "house": reverse("estate:house", args=[e, registry.house.pk]),
        "person": reverse("estate:person", args=[e, registry.owner.pk]),
        "search": reverse("estate:search", args=[e]) + "?q=1502",
    }


def test_the_dashboard_counts_the_estate_and_lists_its_buildings(estate, registry, member, browser_of):
    # given a customer-service clerk
    clerk = member("customer_service", estate)
    # when she opens the console
    response, html = page(browser_of(clerk), urls(estate, registry)["console"])
    # then the counts describe the registry and the buildings are listed with links
    assert response.status_code == 200
    counts = response.context["counts"]
    assert counts["buildings"] == 1 and counts["houses"] == 2
    assert counts["by_status"]["occupied"] == 1 and counts["by_status"]["vacant"] == 1
    assert counts["by_status"]["unsold"] == 0
    assert counts["persons"] == 3 and counts["vehicles"] == 1
    assert (counts["spaces_free"], counts["spaces_total"]) == (1, 2)
    assert "Building 3" in html and urls(estate, registry)["building"] in html
    assert "地下车库" in html


def test_the_building_page_lists_its_units_with_house_counts(estate, registry, member, browser_of):
    response, html = page(browser_of(member("customer_service", estate)), urls(estate, registry)["building"])
    assert response.status_code == 200
    assert "Unit 2" in html and "2 houses" in html
    assert urls(estate, registry)["unit"] in html


def test_the_unit_page_lays_the_houses_out_by_floor_and_filters_by_status(estate, registry, member, browser_of):
    client = browser_of(member("customer_service", estate))
    response, html = page(client, urls(estate, registry)["unit"])
    assert response.status_code == 200
    assert [row["floor"] for row in response.context["floors"]] == [15]
    assert [h.number for h in response.context["floors"][0]["houses"]] == ["1501", "1502"]
    assert urls(estate, registry)["house"] in html
    # when filtering on vacant houses, only 1501 remains
    response, _html = page(client, urls(estate, registry)["unit"] + "?status=vacant")
    assert [h.number for row in response.context["floors"] for h in row["houses"]] == ["1501"]


def test_the_house_page_shows_facts_people_now_and_before_vehicles_and_parking(estate, registry, member,
                                                                             browser_of):
    response, html = page(browser_of(member("customer_service", estate)), urls(estate, registry)["house"])
    assert response.status_code == 200
    assert "128.46" in html and "101.20" in html and "Property register" in html and "Occupied" in html
    people = html.split('<details class="history">', 1)[0]
    assert "王芳" in people and "李强" in people and "赵六" not in people
    assert "赵六" in html.split('<details class="history">', 1)[1]
    assert "京A12345" in html and "B-018" in html
    assert urls(estate, registry)["person"] in html


def test_customer_service_sees_full_mobiles_and_a_technician_sees_them_masked(estate, registry, member,
                                                                           browser_of):
    house_url = urls(estate, registry)["house"]
    clerk_html = page(browser_of(member("customer_service", estate)), house_url)[1]
    tech_html = page(browser_of(member("technician", estate)), house_url)[1]
    assert OWNER_MOBILE in clerk_html
    assert "138****1234" in tech_html and OWNER_MOBILE not in tech_html


def test_the_person_page_shows_houses_and_vehicles_with_the_id_number_masked_unless_manager(
        estate, registry, member, browser_of):
    person_url = urls(estate, registry)["person"]
    clerk_response, clerk_html = page(browser_of(member("customer_service", estate)), person_url)
    assert clerk_response.status_code == 200
    assert "3-2-1502" in clerk_html and "京A12345" in clerk_html and "Owner" in clerk_html
    assert mask_id_number(registry.owner.id_number) in clerk_html
    assert registry.owner.id_number not in clerk_html
    manager_html = page(browser_of(member("manager", estate)), person_url)[1]
    assert registry.owner.id_number in manager_html


def test_the_person_page_lists_a_house_she_left_in_the_history(estate, registry, member, browser_of):
    url = reverse("estate:person", args=[estate.pk, registry.former_tenant.pk])
    html = page(browser_of(member("customer_service", estate)), url)[1]
    history = html.split('<details class="history">', 1)[1]
    assert "3-2-1502" in history and "2021-02-28" in history
    assert "No current residency." in html


@pytest.mark.parametrize("page_name", ["console", "building", "unit", "house", "person", "search"])
def test_residents_get_403_in_the_console(estate, registry, browser_of, page_name):
    response = browser_of(registry.resident_user).get(urls(estate, registry)[page_name])
    assert response.status_code == 403
    assert 'data-code="forbidden"' in response.content.decode()


@pytest.mark.parametrize("page_name", ["console", "house", "person"])
def test_roles_without_registry_access_get_403(estate, registry, member, browser_of, page_name):
    cleaner = member("cleaner", estate)
    assert browser_of(cleaner).get(urls(estate, registry)[page_name]).status_code == 403


def test_the_committee_browses_houses_but_not_personal_data(estate, registry, member, browser_of):
    client = browser_of(member("committee_member", estate))
    response, html = page(client, urls(estate, registry)["house"])
    assert response.status_code == 200
    assert "128.46" in html
    assert "王芳" not in html and "京A12345" not in html
    assert "Your role does not give access to residents' personal data." in html
    assert client.get(urls(estate, registry)["person"]).status_code == 403


@pytest.mark.parametrize("page_name", ["console", "building", "unit", "house", "person", "search"])
def test_a_member_of_another_estate_gets_404(estate, other_estate, registry, member, browser_of, page_name):
    outsider = member("manager", other_estate)
    assert browser_of(outsider).get(urls(estate, registry)[page_name]).status_code == 404


def test_objects_of_another_estate_are_not_found_through_this_one(estate, other_estate, registry, member,
                                                                  browser_of):
    # a manager of both estates asks for this estate's house under the other estate's address
    manager = member("manager", estate)
    member("manager", other_estate, user=manager)
    client = browser_of(manager)
    for name, args in (("house", [registry.house.pk]), ("person", [registry.owner.pk]),
                       ("unit", [registry.unit.pk]), ("building", [registry.building.pk])):
        assert client.get(reverse(f"estate:{name}", args=[other_estate.pk, *args])).status_code == 404


@pytest.mark.parametrize("page_name", ["console", "building", "unit", "house", "person", "search"])
def test_anonymous_visitors_are_sent_to_sign_in(estate, registry, browser_of, page_name):
    response = browser_of().get(urls(estate, registry)[page_name])
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_the_menu_offers_only_what_the_role_may_use(estate, registry, member, browser_of):
    import_url = reverse("estate:import", args=[estate.pk])
    export_url = reverse("estate:export", args=[estate.pk])
    audit_url = reverse("estate:audit", args=[estate.pk])
    console_url = urls(estate, registry)["console"]
    tech_html = page(browser_of(member("technician", estate)), console_url)[1]
    manager_html = page(browser_of(member("manager", estate)), console_url)[1]
    clerk_html = page(browser_of(member("customer_service", estate)), console_url)[1]
    for link in (import_url, export_url, audit_url):
        assert f'href="{link}"' not in tech_html
        assert f'href="{link}"' in manager_html
    assert f'href="{import_url}"' in clerk_html and f'href="{audit_url}"' not in clerk_html
    for html in (tech_html, manager_html, clerk_html):
        assert 'href="/api/v1/docs"' in html and f'href="{reverse("accounts:tokens")}"' in html


def test_the_building_list_is_paginated_by_cursor(estate, member, browser_of):
    from gongzhi.estate.tests.factories import BuildingFactory

    BuildingFactory.create_batch(55, estate=estate)
    client = browser_of(member("customer_service", estate))
    first = client.get(reverse("estate:console", args=[estate.pk]))
    assert len(first.context["buildings"]) == 50
    next_url = first.context["pager"]["next_url"]
    assert next_url and "cursor=" in next_url
    second = client.get(next_url)
    assert len(second.context["buildings"]) == 5 and second.context["pager"]["next_url"] is None
    assert second.context["pager"]["first_url"] == reverse("estate:console", args=[estate.pk])
    assert not {b.pk for b in first.context["buildings"]} & {b.pk for b in second.context["buildings"]}


def test_a_broken_cursor_is_a_400_not_a_crash(estate, member, browser_of):
    response = browser_of(member("customer_service", estate)).get(
        reverse("estate:console", args=[estate.pk]) + "?cursor=not-a-cursor")
    assert response.status_code == 400
    assert 'data-code="invalid_cursor"' in response.content.decode()
