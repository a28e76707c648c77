"""Where a signed-in member lands: the console, the technician's queue, or the resident portal."""

import pytest


@pytest.mark.parametrize(("role", "path"), [
    ("manager", "/e/{id}/console/"),
    ("customer_service", "/e/{id}/console/"),
    ("technician", "/e/{id}/tech/"),
    ("owner", "/e/{id}/"),
    ("tenant", "/e/{id}/"),
])
def test_one_estate_members_land_where_their_work_is(client, estate, member, role, path):
    client.force_login(member(role, estate))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == path.format(id=estate.pk)


def test_the_estate_picker_offers_a_technician_their_queue(client, estate, other_estate, member):
    user = member("technician", estate)
    member("owner", other_estate, user)
    client.force_login(user)
    assert client.get("/")["Location"] == "/accounts/estates/"
    page = client.get("/accounts/estates/").content.decode()
    assert f"/e/{estate.pk}/tech/" in page
    assert f"/e/{other_estate.pk}/tech/" not in page
