"""The console's search box: houses as people write them, names, mobiles and plates; live (htmx) and plain."""

import pytest
from django.urls import reverse

from .conftest import OWNER_MOBILE


def search(client, estate, q, **headers):
    response = client.get(reverse("estate:search", args=[estate.pk]), {"q": q}, **headers)
    return response, response.content.decode()


@pytest.mark.parametrize("q", ["3-2-1502", "3栋2单元1502", "3号楼2单元1502室", " 3-2-1502 "])
def test_a_house_is_found_as_people_write_it(estate, registry, member, browser_of, q):
    response, html = search(browser_of(member("customer_service", estate)), estate, q)
    assert response.status_code == 200
    assert [h["code"] for h in response.context["results"]["houses"]] == ["3-2-1502"]
    assert reverse("estate:house", args=[estate.pk, registry.house.pk]) in html


@pytest.mark.parametrize("q", ["李强", "13955556666", "6666"])
def test_a_person_is_found_by_name_full_mobile_or_its_last_four_digits(estate, registry, member, browser_of, q):
    response, html = search(browser_of(member("customer_service", estate)), estate, q)
    assert [p["name"] for p in response.context["results"]["persons"]] == ["李强"]
    assert reverse("estate:person", args=[estate.pk, registry.spouse.pk]) in html


@pytest.mark.parametrize("q", ["京A12345", "京a12345", "A123"])
def test_a_vehicle_is_found_by_its_plate_and_leads_to_its_house(estate, registry, member, browser_of, q):
    response, html = search(browser_of(member("customer_service", estate)), estate, q)
    assert [v["plate"] for v in response.context["results"]["vehicles"]] == ["京A12345"]
    assert reverse("estate:house", args=[estate.pk, registry.house.pk]) in html


def test_a_technician_finds_people_with_masked_mobiles(estate, registry, member, browser_of):
    _response, html = search(browser_of(member("technician", estate)), estate, "1234")
    assert "王芳" in html and "138****1234" in html and OWNER_MOBILE not in html


def test_the_committee_searches_houses_but_not_people_or_plates(estate, registry, member, browser_of):
    client = browser_of(member("committee_member", estate))
    assert search(client, estate, "3-2-1502")[0].context["results"]["houses"]
    by_name = search(client, estate, "王芳")[0]
    assert by_name.context["results"]["persons"] == [] and by_name.context["results"]["empty"]
    by_plate = search(client, estate, "京A12345")[0]
    assert by_plate.context["results"]["vehicles"] == []
    assert reverse("estate:person", args=[estate.pk, registry.owner.pk]) not in by_name.content.decode()


def test_htmx_gets_the_live_results_fragment_and_a_plain_get_the_full_page(estate, registry, member, browser_of):
    client = browser_of(member("customer_service", estate))
    live, live_html = search(client, estate, "1502", HTTP_HX_REQUEST="true")
    plain, plain_html = search(client, estate, "1502")
    assert "<html" not in live_html and 'class="search-results live"' in live_html and "3-2-1502" in live_html
    assert "<html" in plain_html and "3-2-1502" in plain_html
    assert "HX-Request" in live["Vary"] and "HX-Request" in plain["Vary"]


def test_nothing_found_says_so_and_an_empty_box_explains_what_to_type(estate, registry, member, browser_of):
    client = browser_of(member("customer_service", estate))
    assert "Nothing found for “9-9-9999”." in search(client, estate, "9-9-9999")[1]
    assert "Type a house number as people write it" in search(client, estate, "")[1]


def test_search_never_finds_another_estates_rows(estate, other_estate, registry, member, browser_of):
    from gongzhi.estate.tests.factories import HouseFactory

    HouseFactory(unit__building__estate=other_estate, unit__building__name="3", unit__name="2", number="1502")
    response, _html = search(browser_of(member("customer_service", estate)), estate, "3-2-1502")
    assert [h["id"] for h in response.context["results"]["houses"]] == [registry.house.pk]
