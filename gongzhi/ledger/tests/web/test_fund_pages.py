"""The maintenance fund's pages: an owner's sub-accounts on the phone, a project read by owners and acted on by
staff and the committee, and the console with its preview-then-confirm forms."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gongzhi.ledger import fund
from gongzhi.ledger.fund_projects import fund_project_propose, fund_project_start
from gongzhi.ledger.models import Document, FundProject, JournalEntry
from gongzhi.ledger.tests.conftest import yesterday
from gongzhi.notices.tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def client_for(actor) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(actor.user)
    return client


def url(name, books, *args):
    return reverse(f"ledger:{name}", args=[books.estate.pk, *args])


def pdf(name="invoice.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def funded(books):
    """Deposits at 10 yuan/m² (895.00, 1200.00, 752.50, 1407.50), then house 0 drawn down below its 30 % line."""
    fund.fund_deposit_initial(actor=books.finance, date=yesterday(), rate_per_m2="10")
    project = fund_project_propose(actor=books.manager, title="电梯抢修 Elevator", items=[("motor", "700")],
                                   scope="houses", scope_ids=[books.houses[0].pk], emergency=True,
                                   emergency_kind="elevator")
    fund_project_start(actor=books.manager, project_id=project.pk)
    from gongzhi.ledger.fund_projects import fund_project_pay

    doc = Document.objects.create(estate=books.estate, file="x.pdf", name="发票.pdf", content_type="application/pdf",
                                  size=1, sha256="f" * 64)
    fund_project_pay(actor=books.finance, project_id=project.pk, amount="700", date=yesterday(), documents=[doc],
                     idempotency_key="inv")
    return project


# --- owners ------------------------------------------------------------------------------------------------------
def test_an_owner_sees_each_of_their_houses_with_the_line_and_a_warning_below_it(books,
                                                                                django_assert_max_num_queries):
    project = funded(books)
    client = client_for(books.owner)
    with django_assert_max_num_queries(16):
        page = client.get(url("my_fund", books))
    body = page.content.decode()
    assert page.status_code == 200 and 'class="portal"' in body
    assert books.houses[0].code in body and books.houses[1].code in body and books.houses[2].code not in body
    assert "195.00" in body and "268.50" in body  # house 0: 895 − 700, its 30 % line
    assert body.count('role="alert"') == 1  # only house 0 is below
    assert url("fund_project", books, project.pk) in body and "EMERGENCY" in body
    assert "<svg" in body


def test_family_members_and_tenants_have_no_fund_page(books):
    for actor in (books.family, books.tenant):
        assert client_for(actor).get(url("my_fund", books)).status_code == 403


def test_an_owner_reads_a_project_flagged_as_an_emergency_with_their_share(books):
    project = funded(books)
    body = client_for(books.owner).get(url("fund_project", books, project.pk)).content.decode()
    assert 'id="emergency-flag"' in body and "EMERGENCY REPAIR" in body
    assert "My share" in body and "700.00" in body
    assert 'id="scope-houses"' in body  # their house is in the scope
    outside = client_for(books.owner2).get(url("fund_project", books, project.pk)).content.decode()
    assert 'id="scope-houses"' not in outside and "My share" not in outside and "700.00" in outside
    assert "Pay the contractor" not in body  # owners do not act
    assert client_for(books.tenant).get(url("fund_project", books, project.pk)).status_code == 403


# --- the console -------------------------------------------------------------------------------------------------
def test_the_console_shows_totals_houses_below_and_projects(books, django_assert_max_num_queries):
    funded(books)
    client = client_for(books.finance)
    with django_assert_max_num_queries(12):
        page = client.get(url("fund_console", books))
    body = page.content.decode()
    assert page.status_code == 200
    assert '<span class="stat-value fd-money" id="fund-balance">3,555.00</span>' in body
    assert '<span class="stat-value fd-neg" id="fund-below">1</span>' in body
    assert url("fund_house", books, books.houses[0].pk) in body and body.count('class="project-row"') == 1
    for actor in (books.owner, books.technician):
        assert client_for(actor).get(url("fund_console", books)).status_code == 403
    # the committee oversees it but posts nothing
    committee = client_for(books.chair).get(url("fund_console", books)).content.decode()
    assert url("fund_deposits", books) not in committee
    assert client_for(books.chair).get(url("fund_deposits", books)).status_code == 403


def test_the_houses_list_pages_and_filters_below_the_line(books, django_assert_max_num_queries):
    from gongzhi.estate.models import House

    funded(books)
    unit = books.houses[0].unit
    House.objects.bulk_create([House(estate=books.estate, building=unit.building, unit=unit, number=f"9{i:03d}",
                                     area_m2=D("50")) for i in range(60)])
    client = client_for(books.manager)
    with django_assert_max_num_queries(8):
        first = client.get(url("fund_houses", books))
    body = first.content.decode()
    assert body.count('class="house-row') == 50 and 'rel="next"' in body
    below = client.get(url("fund_houses", books) + "?below=1").content.decode()
    assert below.count('class="house-row') == 1 and books.houses[0].code in below
    statement = client.get(url("fund_house", books, books.houses[0].pk))
    assert statement.status_code == 200 and "Record a top-up" in statement.content.decode()


def test_deposits_are_previewed_then_confirmed(books):
    client = client_for(books.finance)
    refused = client.post(url("fund_deposits", books), {"date": yesterday().isoformat(), "action": "preview"})
    assert refused.status_code == 400 and "construction cost per m² is not set" in refused.content.decode()
    preview = client.post(url("fund_deposits", books), {"date": yesterday().isoformat(), "rate_per_m2": "10",
                                                        "action": "preview"})
    body = preview.content.decode()
    assert "4 houses will deposit 4,255.00 yuan in all" in body and not JournalEntry.objects.exists()
    stale = client.post(url("fund_deposits", books), {"date": yesterday().isoformat(), "rate_per_m2": "10",
                                                      "expected_count": "3", "expected_total": "4255.00",
                                                      "action": "confirm"})
    assert stale.status_code == 400 and "changed since the preview" in stale.content.decode()
    assert not JournalEntry.objects.exists()
    done = client.post(url("fund_deposits", books), {"date": yesterday().isoformat(), "rate_per_m2": "10",
                                                     "expected_count": "4", "expected_total": "4255.00",
                                                     "action": "confirm"})
    assert done.status_code == 302 and done["Location"] == url("fund_console", books)
    assert JournalEntry.objects.filter(kind="fund_deposit").count() == 4


def test_a_top_up_by_house_code_posts_once_even_if_sent_twice(books):
    client = client_for(books.finance)
    form = {"house": books.houses[1].code, "amount": "300", "date": yesterday().isoformat(),
            "idempotency_key": "form-key-1"}
    assert client.post(url("fund_top_up", books), form).status_code == 302
    assert client.post(url("fund_top_up", books), form).status_code == 302
    assert fund.house_balance(books.houses[1]) == D("300.00")
    bad = client.post(url("fund_top_up", books), {**form, "house": "99-9-999", "idempotency_key": "k2"})
    assert bad.status_code == 400 and "No such house" in bad.content.decode()
    prefilled = client.get(url("fund_top_up", books) + f"?house={books.houses[2].pk}").content.decode()
    assert f'value="{books.houses[2].code}"' in prefilled


def test_interest_is_previewed_then_credited(books):
    fund.fund_deposit_initial(actor=books.finance, date=yesterday(), rate_per_m2="10")
    client = client_for(books.finance)
    form = {"amount": "42.55", "date": yesterday().isoformat(), "period_label": "2025"}
    preview = client.post(url("fund_interest", books), {**form, "action": "preview"}).content.decode()
    assert "42.55 yuan to 4 houses" in preview and not JournalEntry.objects.filter(kind="fund_interest").exists()
    assert client.post(url("fund_interest", books), {**form, "action": "confirm"}).status_code == 302
    assert fund.house_balance(books.houses[0]) == D("903.95")  # 895 + 42.55 × 895/4255 = 8.95


def test_a_project_is_proposed_with_items_and_a_building_scope(books):
    client = client_for(books.manager)
    page = client.get(url("fund_project_new", books))
    assert page.status_code == 200
    response = client.post(url("fund_project_new", books), {
        "title": "2号楼外墙 Façade", "contractor": "某建筑公司", "scope": "buildings",
        "buildings": [books.houses[2].building_id], "item_1_description": "脚手架", "item_1_amount": "1000",
        "item_2_description": "涂料", "item_2_amount": "2000.50", "idempotency_key": "new-1"})
    project = FundProject.objects.get()
    assert response.status_code == 302 and response["Location"] == url("fund_project", books, project.pk)
    assert (project.budget, project.scope_area_m2) == (D("3000.50"), D("216.00"))
    missing = client.post(url("fund_project_new", books), {"title": "x", "scope": "estate",
                                                           "item_1_description": "only text",
                                                           "idempotency_key": "new-2"})
    assert missing.status_code == 400 and FundProject.objects.count() == 1


def test_the_committee_records_a_decision_and_a_failing_tally_shows_its_figures(books, media):
    project = fund_project_propose(actor=books.finance, title="屋面", items=[("x", "1000")])
    client = client_for(books.chair)
    fails = client.post(url("fund_project", books, project.pk), {
        "action": "approve", "decision": "approved", "area_for": "200", "area_against": "83.66",
        "area_abstain": "0", "heads_for": "2", "heads_against": "1", "heads_abstain": "0", "heads_total": "4",
        "document": pdf("决议.pdf")})
    body = fails.content.decode()
    assert fails.status_code == 400 and "participating area 283.66 of 425.50 m²" in body
    assert not Document.objects.exists() and not list(media.rglob("*.pdf"))  # nothing left behind
    passes = client.post(url("fund_project", books, project.pk), {
        "action": "approve", "decision": "approved", "area_for": "200", "area_against": "83.67",
        "area_abstain": "0", "heads_for": "2", "heads_against": "1", "heads_abstain": "0", "heads_total": "4",
        "document": pdf("决议.pdf")})
    assert passes.status_code == 302
    page = client.get(url("fund_project", books, project.pk)).content.decode()
    assert 'id="tally"' in page and "The tally passes." in page and "决议.pdf" in page
    assert client_for(books.finance).post(url("fund_project", books, project.pk), {
        "action": "approve", "decision": "approved"}).status_code == 403


def test_finance_starts_pays_with_the_invoice_and_is_stopped_at_the_budget(books, django_assert_max_num_queries):
    fund.fund_deposit_initial(actor=books.finance, date=yesterday(), rate_per_m2="10")
    project = fund_project_propose(actor=books.manager, title="水泵 Pump", items=[("pump", "100")],
                                   emergency=True, emergency_kind="pump")
    client = client_for(books.finance)
    assert client.post(url("fund_project", books, project.pk), {"action": "start"}).status_code == 302
    paid = client.post(url("fund_project", books, project.pk), {
        "action": "pay", "amount": "60", "date": yesterday().isoformat(), "invoice": pdf(), "idempotency_key": "a"})
    assert paid.status_code == 302
    assert "Payment of 60.00 posted" in client.get(paid["Location"]).content.decode()
    over = client.post(url("fund_project", books, project.pk), {
        "action": "pay", "amount": "40.01", "date": yesterday().isoformat(), "invoice": pdf(),
        "idempotency_key": "b"})
    assert over.status_code == 400 and "would exceed the budget" in over.content.decode()
    assert Document.objects.count() == 1
    with django_assert_max_num_queries(12):
        page = client.get(url("fund_project", books, project.pk))
    body = page.content.decode()
    assert '<span class="stat-value fd-money" id="project-paid">60.00</span>' in body
    assert client.post(url("fund_project", books, project.pk), {"action": "complete"}).status_code == 302
    cancel = client.post(url("fund_project", books, project.pk), {"action": "cancel", "reason": "x"})
    assert cancel.status_code == 409


def test_the_project_page_of_another_estate_is_404(books, other_estate, actor_for):
    project = fund_project_propose(actor=books.finance, title="屋面", items=[("x", "1000")])
    outsider = actor_for("finance", other_estate)
    client = client_for(outsider)
    assert client.get(reverse("ledger:fund_project", args=[other_estate.pk, project.pk])).status_code == 404


def test_dates_in_forms_default_to_today(books):
    body = client_for(books.finance).get(url("fund_top_up", books)).content.decode()
    assert datetime.date.today().isoformat()[:4] in body
