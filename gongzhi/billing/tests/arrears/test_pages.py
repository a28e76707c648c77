"""The pages: finance's arrears list with buckets and the remind button, a house's statement, the resident's own
statement in the portal, the collection rate with its bars (the committee reads it), the downloads."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.billing.models import ArrearsReminder
from gongzhi.billing.tests.conftest import make_bill

pytestmark = pytest.mark.django_db


def client_for(actor) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(actor.user)
    return client


def url(name, fees, *args):
    return reverse(f"billing:{name}", args=[fees.estate.pk, *args])


@pytest.fixture
def owing(fees):
    today = datetime.date.today()
    make_bill(fees.houses[0], ["260.70"], due_date=today - datetime.timedelta(days=31))
    make_bill(fees.houses[2], ["75.25"], due_date=today - datetime.timedelta(days=30))
    return fees


def test_finance_reads_the_arrears_and_reminds(owing, django_assert_max_num_queries):
    client = client_for(owing.finance)
    with django_assert_max_num_queries(20):
        response = client.get(url("arrears", owing))
    page = response.content.decode()
    assert response.status_code == 200
    assert owing.houses[0].code in page and "335.95" in page and "31–90 days" in page
    assert url("statement", owing, owing.houses[0].pk) in page
    response = client.post(url("arrears_remind", owing), follow=True)
    assert response.status_code == 200 and ArrearsReminder.objects.count() == 2


@pytest.mark.parametrize("who", ["chair", "owner", "service"])
def test_others_may_not_see_arrears_by_house(owing, who):
    assert client_for(getattr(owing, who)).get(url("arrears", owing)).status_code == 403
    assert client_for(getattr(owing, who)).post(url("arrears_remind", owing)).status_code == 403


def test_statements_staff_and_resident(owing):
    house = owing.houses[0]
    staff = client_for(owing.finance).get(url("statement", owing, house.pk))
    assert staff.status_code == 200 and "260.70" in staff.content.decode()
    mine = client_for(owing.owner).get(url("my_statement", owing))
    assert mine.status_code == 200
    assert any(t.name == "estate/portal_base.html" for t in mine.templates)
    assert "260.70" in mine.content.decode() and owing.houses[1].code in mine.content.decode()
    assert client_for(owing.owner2).get(url("statement", owing, house.pk)).status_code == 404
    nobody = client_for(owing.manager).get(url("my_statement", owing))
    assert nobody.status_code == 200 and "no home registered" in nobody.content.decode()


def test_the_committee_reads_the_collection_rate(owing, django_assert_max_num_queries):
    client = client_for(owing.chair)
    with django_assert_max_num_queries(20):
        response = client.get(url("collection", owing) + "?period=year&group=building")
    page = response.content.decode()
    assert response.status_code == 200 and "<svg" in page and "0.00%" in page
    assert owing.houses[0].code not in page
    assert client_for(owing.owner).get(url("collection", owing)).status_code == 403


def test_downloads(owing):
    client = client_for(owing.finance)
    assert client.get(url("exports", owing)).status_code == 200
    response = client.get(url("export_download", owing) + "?kind=arrears")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"
    assert client_for(owing.chair).get(url("exports", owing)).status_code == 403
