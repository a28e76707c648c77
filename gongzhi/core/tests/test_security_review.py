"""A security and privacy review of the foundation, as an attacker and as a lawyer for the residents would do it.

Each story names the attack; each was run against the code before the fixes it led to (see the review report).
"""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.accounts.models import ApiToken
from gongzhi.accounts.services import token_create
from gongzhi.accounts.tests.factories import TEST_PASSWORD
from gongzhi.core.tests.assertions import assert_error, nothing_written
from gongzhi.estate.tests.factories import (
    HouseFactory,
    PersonFactory,
    ResidencyFactory,
    VehicleFactory,
)

# --- tokens ------------------------------------------------------------------------------------------------------


def test_a_token_cannot_mint_a_token_for_an_estate_outside_its_own_scope(estate, other_estate, member, api):
    """Given a manager of two estates whose integration token is scoped to estate A only,
    when the token asks for a new token covering estate B too,
    then it is refused: a leaked token must not widen itself."""
    manager = member("manager", estate)
    member("manager", other_estate, user=manager)
    client = api(manager, [estate])

    with nothing_written():
        response = client.post("/api/v1/tokens", {"name": "wider", "estate_ids": [estate.pk, other_estate.pk]},
                               content_type="application/json")

    assert_error(response, 400, "invalid_token_scope")


def test_a_token_cannot_mint_a_token_that_outlives_it(estate, member):
    """Given a token that expires in 2 days, when it asks for a 365-day token, then it is refused; one that ends no
    later than itself is fine."""
    manager = member("manager", estate)
    _token, raw = token_create(user=manager, name="short", estate_ids=[estate.pk], days=2)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    with nothing_written():
        longer = client.post("/api/v1/tokens", {"name": "longer", "estate_ids": [estate.pk], "days": 365},
                             content_type="application/json")
    assert_error(longer, 400, "invalid_expiry")
    shorter = client.post("/api/v1/tokens", {"name": "shorter", "estate_ids": [estate.pk], "days": 1},
                          content_type="application/json")
    assert shorter.status_code == 201


def test_token_login_cannot_scope_a_token_to_an_estate_the_user_does_not_belong_to(estate, other_estate, member):
    manager = member("manager", estate)
    response = Client().post("/api/v1/auth/token", {"phone": manager.phone, "password": TEST_PASSWORD,
                                                    "estate_ids": [other_estate.pk]},
                             content_type="application/json")
    assert_error(response, 400, "invalid_token_scope")


def test_a_revoked_token_is_refused_at_once_even_after_it_was_cached(estate, member):
    manager = member("manager", estate)
    token, raw = token_create(user=manager, name="t", estate_ids=[estate.pk])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code == 200  # now cached

    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 200

    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_an_expired_token_is_refused_even_from_the_cache(estate, member, monkeypatch):
    manager = member("manager", estate)
    _token, raw = token_create(user=manager, name="t", estate_ids=[estate.pk], days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code == 200  # cached

    later = timezone.now() + timedelta(days=1, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_only_the_hash_of_a_secret_is_stored(estate, member):
    manager = member("manager", estate)
    token, raw = token_create(user=manager, name="t", estate_ids=[estate.pk])
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in str(row)
    listed = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/tokens").json()
    assert all("token" not in t for t in listed), "the secret is shown once, at creation only"


# --- sessions, CSRF, redirects, headers ---------------------------------------------------------------------------


def test_a_session_api_write_without_the_csrf_token_is_refused(estate, member):
    """Given a manager signed in to the browser, when another site makes the browser POST to the API (no CSRF
    token), then nothing is written."""
    manager = member("manager", estate)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    with nothing_written():
        response = browser.post(f"/api/v1/estates/{estate.pk}/persons", {"name": "伪造"},
                                content_type="application/json")

    assert response.status_code in (401, 403)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                    "https:/evil.example", "javascript:alert(1)"])
def test_signing_in_never_redirects_to_another_site(estate, member, target):
    manager = member("manager", estate)
    response = Client().post(f"/accounts/login/?next={target}", {"username": manager.phone,
                                                                  "password": TEST_PASSWORD, "next": target})
    assert response.status_code == 302
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]


def test_logout_is_post_only(estate, member):
    manager = member("manager", estate)
    browser = Client()
    browser.force_login(manager)
    assert browser.get("/accounts/logout/").status_code == 405
    assert browser.get(f"/e/{estate.pk}/console/").status_code == 200, "a GET (an <img> elsewhere) keeps you in"


def test_pages_cannot_be_framed_and_the_session_cookie_is_http_only(estate, member):
    manager = member("manager", estate)
    response = Client().post("/accounts/login/", {"username": manager.phone, "password": TEST_PASSWORD})
    assert response.cookies["sessionid"]["httponly"]
    assert Client().get("/accounts/login/")["X-Frame-Options"] == "DENY"


# --- sign-in: lockout and enumeration --------------------------------------------------------------------------


def _page_login(phone, password):
    return Client().post("/accounts/login/", {"username": phone, "password": password})


def _api_login(phone, password):
    return Client().post("/api/v1/auth/token", {"phone": phone, "password": password},
                         content_type="application/json")


@pytest.mark.parametrize("attempt", [_page_login, _api_login])
def test_a_locked_account_stays_locked_with_the_right_password(estate, member, attempt, settings):
    manager = member("manager", estate)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(manager.phone, "Wrong-password-1")

    right = attempt(manager.phone, TEST_PASSWORD)

    assert right.status_code == 429
    assert ApiToken.objects.filter(user=manager).count() == 0


def test_failures_on_the_page_and_on_the_api_count_together(estate, member, settings):
    manager = member("manager", estate)
    for i in range(settings.AXES_FAILURE_LIMIT):
        (_page_login if i % 2 else _api_login)(manager.phone, "Wrong-password-1")

    assert _api_login(manager.phone, TEST_PASSWORD).status_code == 429
    assert _page_login(manager.phone, TEST_PASSWORD).status_code == 429


@pytest.mark.parametrize("attempt", [_page_login, _api_login])
def test_an_unknown_number_and_a_wrong_password_read_the_same(estate, member, attempt):
    manager = member("manager", estate)
    unknown = attempt("13799999999", "Wrong-password-1")
    wrong = attempt(manager.phone, "Wrong-password-1")
    assert unknown.status_code == wrong.status_code
    if attempt is _api_login:
        assert unknown.json() == wrong.json()
    else:
        def page(response, phone: str) -> bytes:  # the CSRF token is fresh on every page, the number as typed
            return re.sub(rb"[A-Za-z0-9]{64}", b"csrf", response.content.replace(phone.encode(), b"phone"))

        assert page(unknown, "13799999999") == page(wrong, manager.phone)


# --- cross-estate ids in request bodies --------------------------------------------------------------------------


@pytest.fixture
def manager_a(estate, member):
    return member("manager", estate)


@pytest.fixture
def a(manager_a, estate, api):
    return api(manager_a, [estate])


def _post(client, path, body):
    return client.post(path, body, content_type="application/json")


def test_residency_add_with_another_estates_person_or_house_is_404(a, estate, other_estate):
    mine_house, mine_person = HouseFactory(estate=estate), PersonFactory(estate=estate)
    theirs_house, theirs_person = HouseFactory(estate=other_estate), PersonFactory(estate=other_estate)
    url = f"/api/v1/estates/{estate.pk}/residencies"
    with nothing_written():
        assert_error(_post(a, url, {"house_id": theirs_house.pk, "person_id": mine_person.pk, "kind": "owner"}),
                     404, "not_found")
        assert_error(_post(a, url, {"house_id": mine_house.pk, "person_id": theirs_person.pk, "kind": "owner"}),
                     404, "not_found")


def test_owner_change_to_another_estates_person_is_404(a, estate, other_estate):
    house = HouseFactory(estate=estate)
    theirs = PersonFactory(estate=other_estate)
    with nothing_written():
        response = _post(a, f"/api/v1/estates/{estate.pk}/houses/{house.pk}/owner-change",
                         {"new_owner_ids": [theirs.pk]})
    assert_error(response, 404, "not_found")


def test_vehicle_register_with_another_estates_house_or_person_is_404(a, estate, other_estate):
    url = f"/api/v1/estates/{estate.pk}/vehicles"
    house, person = HouseFactory(estate=other_estate), PersonFactory(estate=other_estate)
    with nothing_written():
        assert_error(_post(a, url, {"plate": "京A12345", "house_id": house.pk}), 404, "not_found")
        assert_error(_post(a, url, {"plate": "京A12345", "person_id": person.pk}), 404, "not_found")


def test_ending_another_estates_membership_is_404(a, estate, other_estate, member):
    from gongzhi.accounts.models import Membership

    theirs = Membership.objects.get(user=member("manager", other_estate))
    with nothing_written():
        response = a.delete(f"/api/v1/estates/{estate.pk}/memberships/{theirs.pk}")
    assert_error(response, 404, "not_found")


def test_a_forged_cursor_pages_only_within_the_estate(a, estate, other_estate):
    from gongzhi.core.pagination import encode_cursor

    HouseFactory(estate=other_estate)
    mine = HouseFactory(estate=estate)
    response = a.get(f"/api/v1/estates/{estate.pk}/houses", {"cursor": encode_cursor(0)})
    assert [h["id"] for h in response.json()["items"]] == [mine.pk]
    assert_error(a.get(f"/api/v1/estates/{estate.pk}/houses", {"cursor": "!!not-base64"}), 400, "invalid_cursor")


# --- residents: only their own household ------------------------------------------------------------------------


@pytest.fixture
def two_households(estate, member):
    """A tenant of house 1 lives with a family member who also owns house 2 (another household) with its owner
    and a car."""
    tenant_user = member("tenant", estate)
    h1, h2 = HouseFactory(estate=estate), HouseFactory(estate=estate)
    tenant = PersonFactory(estate=estate, user=tenant_user, mobile=tenant_user.phone)
    ResidencyFactory(house=h1, person=tenant, kind="tenant", is_representative=False)
    shared = PersonFactory(estate=estate)
    ResidencyFactory(house=h1, person=shared, kind="owner")
    ResidencyFactory(house=h2, person=shared, kind="co_owner", is_representative=False)
    neighbour = PersonFactory(estate=estate)
    ResidencyFactory(house=h2, person=neighbour, kind="co_owner", is_representative=True)
    car = VehicleFactory(estate=estate, house=h2, person=shared)
    return {"user": tenant_user, "h1": h1, "h2": h2, "shared": shared, "neighbour": neighbour, "car": car}


def test_a_resident_sees_none_of_another_households_houses_people_or_plates(two_households, estate, api):
    w = two_households
    client = api(w["user"], [estate])
    base = f"/api/v1/estates/{estate.pk}"

    assert_error(client.get(f"{base}/houses/{w['h2'].pk}"), 404, "not_found")
    assert_error(client.get(f"{base}/persons/{w['neighbour'].pk}"), 404, "not_found")
    assert_error(client.get(f"{base}/vehicles/{w['car'].pk}"), 404, "not_found")
    found = client.get(f"{base}/search", {"q": w["neighbour"].name}).json()
    assert found["persons"] == []
    assert w["car"].plate not in str(client.get(f"{base}/vehicles").json())
    assert w["neighbour"].mobile[-4:] not in str(client.get(f"{base}/search", {"q": w["neighbour"].mobile}).json())


def test_a_resident_looking_at_a_household_member_does_not_learn_their_other_houses_or_cars(two_households, estate,
                                                                                           api):
    """Given a tenant whose landlord lives with them and also co-owns another house with a car there,
    when the tenant opens the landlord's person record,
    then it shows the shared house only: the landlord's other property and car are not the tenant's business
    (个人信息保护法: minimum necessary)."""
    w = two_households
    client = api(w["user"], [estate])

    body = client.get(f"/api/v1/estates/{estate.pk}/persons/{w['shared'].pk}").json()

    assert [r["house_id"] for r in body["residencies"]] == [w["h1"].pk]
    assert body["vehicles"] == []
    assert w["h2"].code not in str(body)
    assert body["mobile"] != w["shared"].mobile and body["id_number"] != w["shared"].id_number, "masked"


def test_staff_still_see_all_of_a_persons_houses(two_households, estate, member, api):
    w = two_households
    client = api(member("customer_service", estate), [estate])
    body = client.get(f"/api/v1/estates/{estate.pk}/persons/{w['shared'].pk}").json()
    assert sorted(r["house_id"] for r in body["residencies"]) == sorted([w["h1"].pk, w["h2"].pk])
    assert [v["id"] for v in body["vehicles"]] == [w["car"].pk]


# --- import and export --------------------------------------------------------------------------------------------


def _xlsx_with(replace: dict[str, bytes]) -> bytes:
    from gongzhi.estate.importing import template_workbook

    source = zipfile.ZipFile(io.BytesIO(template_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, replace.get(item.filename, source.read(item.filename)))
    return out.getvalue()


def _import(client, estate, name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"/api/v1/estates/{estate.pk}/registry/import",
                       {"file": SimpleUploadedFile(name, data), "dry_run": "false"})


def _sheet_xml(doctype: str, cell: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>楼栋 building</t></is></c></row>'
            f'<row r="2"><c r="A2" t="inlineStr"><is><t>{cell}</t></is></c></row>'
            "</sheetData></worksheet>").encode()


def test_an_xlsx_with_an_external_entity_does_not_read_server_files(a, estate, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    data = _xlsx_with({"xl/worksheets/sheet1.xml": _sheet_xml(doctype, "&xxe;")})

    with nothing_written():
        response = _import(a, estate, "xxe.xlsx", data)

    assert response.status_code == 400
    assert b"TOP-SECRET-VALUE" not in response.content


def test_an_xlsx_with_an_entity_expansion_bomb_is_refused_quickly(a, estate):
    import time

    entities = '<!ENTITY a0 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    data = _xlsx_with({"xl/worksheets/sheet1.xml": _sheet_xml(f"<!DOCTYPE x [{entities}]>", "&a9;")})

    started = time.monotonic()
    with nothing_written():
        response = _import(a, estate, "bomb.xlsx", data)
    assert response.status_code == 400
    assert time.monotonic() - started < 5


def test_a_zip_bomb_is_refused_before_it_is_unpacked(a, estate, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    with nothing_written():
        response = _import(a, estate, "bomb.xlsx", out.getvalue())
    body = assert_error(response, 400, "import_invalid")
    assert "MB" in str(body["detail"])


def test_a_csv_with_a_huge_field_is_reported_not_crashed(a, estate):
    data = ("楼栋 building,单元 unit,房号 number,建筑面积(m²) area\n" + "3,2," + "9" * 200_000 + ",90\n").encode()
    with nothing_written():
        response = _import(a, estate, "big.csv", data)
    assert_error(response, 400, "import_invalid")


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd", "-2+3", "@SUM(1)",
                                  "\t=1+1", "\r=1+1"])
def test_export_never_hands_excel_a_formula(a, estate, name):
    import openpyxl

    from gongzhi.estate.models import Person

    house = HouseFactory(estate=estate)
    person = PersonFactory(estate=estate)
    Person.objects.filter(pk=person.pk).update(name=name)  # as if an older import had let it in
    ResidencyFactory(house=house, person=person)

    response = a.get(f"/api/v1/estates/{estate.pk}/registry/export.xlsx")

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    # (XML reads a carriage return back as a line feed)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.replace("\n", "\r") == name.replace("\n", "\r")]
    assert cells, "the name is exported"
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert 'filename="gongzhi-registry-' in response["Content-Disposition"]


def test_an_import_cannot_reach_another_estates_houses(a, estate, other_estate):
    """Given house 9-1-101 exists only in estate B, when estate A's manager imports a resident into 9-1-101, then
    the row is refused (no such house in A) and nothing is written anywhere."""
    HouseFactory(estate=other_estate, building__name="9", unit__name="1", number="101")
    data = ("楼栋 building,单元 unit,房号 number,姓名 name,手机 mobile,身份 relation\n"
            "9,1,101,张三,13812345678,owner\n").encode()
    with nothing_written():
        response = _import(a, estate, "residents.csv", data)
    body = assert_error(response, 400, "import_invalid")
    assert [e["row"] for e in body["detail"]["errors"]] == [2]


# --- audit: every write, and nothing when a write fails ----------------------------------------------------------


def test_a_refused_grant_leaves_no_account_and_no_audit_entry(estate, member, api):
    """Given a resident, when they try to grant a role to a new number, then no account is created on the way
    (the account would be created before the policy refuses the grant)."""
    client = api(member("owner", estate), [estate])
    with nothing_written():
        response = _post(client, f"/api/v1/estates/{estate.pk}/memberships",
                         {"phone": "13911112222", "role": "manager", "name": "x"})
    assert_error(response, 403, "forbidden")


def test_a_write_that_fails_half_way_leaves_nothing_behind(a, estate):
    """Given a house whose representative owns 60 %, when a co-owner with 60 % is added as the new representative,
    then the shares exceed the whole: the add is refused, and the old representative is not demoted (nor is that
    demotion audited)."""
    from gongzhi.estate.models import Residency

    house = HouseFactory(estate=estate)
    first = ResidencyFactory(house=house, kind="co_owner", share="0.6", is_representative=True)
    second = PersonFactory(estate=estate)

    with nothing_written():
        response = _post(a, f"/api/v1/estates/{estate.pk}/residencies",
                         {"house_id": house.pk, "person_id": second.pk, "kind": "co_owner", "share": "0.6",
                          "is_representative": True})

    assert_error(response, 400, "shares_exceed")
    assert Residency.objects.get(pk=first.pk).is_representative


def test_a_new_owner_does_not_see_the_previous_owner_in_the_api(estate, member, api):
    # given a house sold in 2021: the previous owner's residency ended, the new owner lives there now
    from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory

    house = HouseFactory(estate=estate, unit__estate=estate, unit__building__estate=estate)
    seller = PersonFactory(estate=estate, name="赵六")
    ResidencyFactory(house=house, estate=estate, person=seller, is_representative=False,
                     end_date=timezone.localdate() - timedelta(days=400))
    buyer_user = member("owner", estate)
    buyer = PersonFactory(estate=estate, name="王芳", user=buyer_user)
    ResidencyFactory(house=house, estate=estate, person=buyer)

    # when the new owner reads the house, and when staff do
    mine = api(buyer_user, [estate]).get(f"/api/v1/estates/{estate.pk}/houses/{house.pk}").json()
    staff = api(member("customer_service", estate), [estate]).get(
        f"/api/v1/estates/{estate.pk}/houses/{house.pk}").json()

    # then only staff see the history
    assert [r["person"]["name"] for r in mine["residencies"]] == ["王芳"]
    assert {r["person"]["name"] for r in staff["residencies"]} == {"王芳", "赵六"}
