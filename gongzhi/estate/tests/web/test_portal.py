"""The resident portal: my houses, and one of them with its household, vehicles and parking."""

from django.urls import reverse

from gongzhi.estate.tests.factories import HouseFactory, ResidencyFactory

from .conftest import OWNER_MOBILE, page


def portal_url(estate):
    return reverse("estate:portal", args=[estate.pk])


def house_url(estate, house):
    return reverse("estate:my_house", args=[estate.pk, house.pk])


def test_a_resident_sees_the_houses_where_she_lives_with_her_role_and_area(estate, registry, browser_of):
    # given 王芳 owns 3-2-1502 and not 3-2-1501
    client = browser_of(registry.resident_user)
    # when she opens the portal
    response, html = page(client, portal_url(estate))
    # then her house is listed with her role and its area, and nothing else
    assert response.status_code == 200
    assert "3-2-1502" in html and "Owner" in html and "128.46" in html
    assert "3-2-1501" not in html
    assert house_url(estate, registry.house) in html


def test_a_resident_with_no_house_is_told_to_ask_the_office(estate, member, browser_of):
    tenant = member("tenant", estate)
    response, html = page(browser_of(tenant), portal_url(estate))
    assert response.status_code == 200
    assert "No house in this estate is registered to you yet." in html
    assert "Please ask the property office to add you to your household." in html


def test_a_cleaner_is_not_sent_to_the_office_for_a_household(estate, member, browser_of):
    # given a cleaner: staff without a house in the estate and without the console
    cleaner = member("cleaner", estate)
    # when she signs in and lands on the portal
    response, html = page(browser_of(cleaner), portal_url(estate))
    # then she is told what the page is for instead of being asked to join a household
    assert response.status_code == 200
    assert "Your role in this estate has no other pages yet." in html
    assert "add you to your household" not in html


def test_the_house_page_shows_the_household_with_her_own_mobile_and_the_others_masked(estate, registry, browser_of):
    # when 王芳 opens her house
    response, html = page(browser_of(registry.resident_user), house_url(estate, registry.house))
    # then she sees herself and her husband, her number in full and his masked
    assert response.status_code == 200
    assert "王芳" in html and "李强" in html
    assert OWNER_MOBILE in html
    assert "139****6666" in html and "13955556666" not in html
    assert "Voting representative" in html and "You" in html


def test_earlier_residents_of_the_house_are_not_shown_to_a_resident(estate, registry, browser_of):
    # 赵六 lived here until 2021; the residents now have no need to know who (minimum necessary, PIPL art. 6)
    _response, html = page(browser_of(registry.resident_user), house_url(estate, registry.house))
    assert "赵六" not in html
    assert "13600001111" not in html and "136****1111" not in html


def test_staff_see_the_house_history(estate, registry, member, browser_of):
    clerk = member("customer_service", estate)
    _response, html = page(browser_of(clerk), f"/e/{estate.pk}/console/houses/{registry.house.pk}/")
    assert "赵六" in html and "2021-02-28" in html


def test_the_house_page_shows_vehicles_and_parking_spaces(estate, registry, browser_of):
    _response, html = page(browser_of(registry.resident_user), house_url(estate, registry.house))
    assert "京A12345" in html
    assert "地下车库 B-018" in html and "Sold" in html
    assert "B-019" not in html


def test_a_resident_gets_404_for_a_house_that_is_not_hers(estate, registry, browser_of):
    response = browser_of(registry.resident_user).get(house_url(estate, registry.neighbour))
    assert response.status_code == 404
    assert "This page does not exist, or it is not yours to see." in response.content.decode()


def test_a_resident_gets_404_for_a_house_she_has_moved_out_of(estate, registry, member, browser_of):
    # given 赵六 has a login but his tenancy ended in 2021
    former = member("tenant", estate)
    registry.former_tenant.user = former
    registry.former_tenant.save()
    response = browser_of(former).get(house_url(estate, registry.house))
    assert response.status_code == 404


def test_staff_cannot_use_the_portal_to_open_houses_that_are_not_theirs(estate, registry, member, browser_of):
    # the portal is about one's own home; staff browse other houses in the console
    clerk = member("customer_service", estate)
    assert browser_of(clerk).get(house_url(estate, registry.house)).status_code == 404


def test_a_staff_member_who_also_lives_here_sees_the_console_link_in_the_portal(estate, registry, member,
                                                                                browser_of):
    clerk = member("customer_service", estate, user=registry.resident_user)
    _response, html = page(browser_of(clerk), portal_url(estate))
    assert reverse("estate:console", args=[estate.pk]) in html
    resident_only = page(browser_of(member("owner", estate)), portal_url(estate))[1]
    assert reverse("estate:console", args=[estate.pk]) not in resident_only


def test_a_member_of_another_estate_gets_404(estate, other_estate, registry, member, browser_of):
    outsider = member("owner", other_estate)
    client = browser_of(outsider)
    assert client.get(portal_url(estate)).status_code == 404
    assert client.get(house_url(estate, registry.house)).status_code == 404


def test_a_resident_of_another_estate_cannot_reach_her_house_through_this_estate(estate, other_estate, member,
                                                                                   browser_of):
    # given a resident living in 阳光家园 who is also a member here
    user = member("owner", other_estate)
    member("owner", estate, user=user)
    elsewhere = ResidencyFactory(house=HouseFactory(unit__building__estate=other_estate), person__user=user)
    # when she asks for her 阳光家园 house under this estate's address, then it is not found
    assert browser_of(user).get(house_url(estate, elsewhere.house)).status_code == 404
    assert browser_of(user).get(house_url(other_estate, elsewhere.house)).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(estate, registry, browser_of):
    for url in (portal_url(estate), house_url(estate, registry.house)):
        response = browser_of().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login")) and "next=" in response["Location"]


def test_the_portal_is_chinese_by_default(estate, registry, browser_of):
    _response, html = page(browser_of(registry.resident_user, language="zh-hans"), portal_url(estate))
    assert '<html lang="zh-hans">' in html
