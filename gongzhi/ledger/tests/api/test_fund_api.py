"""The maintenance fund over the API: who reads which house, money in (deposits, top-ups, interest), and a project
from proposal through the owners' decision to payments, in the one error shape."""

from decimal import Decimal

import pytest

from gongzhi.ledger import fund
from gongzhi.ledger.models import Document
from gongzhi.ledger.tests.conftest import yesterday

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def call(api, books):
    """call(actor, method, path, body=None) → the response; ``path`` is relative to the estate's fund."""

    def make(actor, method, path="", body=None):
        client = api(actor.user, [books.estate])
        url = f"/api/v1/estates/{books.estate.pk}/ledger/fund{path}"
        if body is None:
            return client.generic(method, url)
        return getattr(client, method.lower())(url, body, content_type="application/json")

    return make


def document(books, estate=None) -> Document:
    return Document.objects.create(estate=estate or books.estate, file="x.pdf", name="决议.pdf",
                                   content_type="application/pdf", size=1, sha256="e" * 64)


def deposit(books):
    fund.fund_deposit_initial(actor=books.finance, date=yesterday(), rate_per_m2="10")


# --- reading -----------------------------------------------------------------------------------------------------
def test_an_owner_gets_their_own_houses_and_404_for_anyone_elses(books, call, django_assert_max_num_queries):
    deposit(books)
    with django_assert_max_num_queries(16):
        mine = call(books.owner, "GET", "/mine")
    assert mine.status_code == 200
    houses = mine.json()["houses"]
    assert [h["house_id"] for h in houses] == [books.houses[0].pk, books.houses[1].pk]
    assert houses[0]["totals"]["balance"] == "895.00" and houses[0]["threshold"] == "268.50"
    assert houses[0]["top_up_share"] == "3/10" and houses[0]["lines"][0]["kind"] == "fund_deposit"
    assert call(books.owner, "GET", f"/houses/{books.houses[0].pk}").status_code == 200
    other = call(books.owner, "GET", f"/houses/{books.houses[2].pk}")
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert call(books.family, "GET", f"/houses/{books.houses[0].pk}").status_code == 404
    assert call(books.tenant, "GET", "/mine").status_code == 403
    assert call(books.committee, "GET", f"/houses/{books.houses[2].pk}").json()["totals"]["initial"] == "752.50"


def test_the_summary_and_the_staff_house_list(books, call, django_assert_max_num_queries):
    deposit(books)
    summary = call(books.owner2, "GET", "/summary").json()
    assert (summary["totals"]["balance"], summary["bank_balance"], summary["houses_below"]) == ("4255.00",
                                                                                                "4255.00", 0)
    with django_assert_max_num_queries(10):
        page = call(books.finance, "GET", "/houses?limit=3")
    body = page.json()
    assert [r["house_id"] for r in body["items"]] == [h.pk for h in books.houses[:3]] and body["next_cursor"]
    rest = call(books.finance, "GET", f"/houses?limit=3&cursor={body['next_cursor']}").json()
    assert [r["house_id"] for r in rest["items"]] == [books.houses[3].pk] and rest["next_cursor"] is None
    assert call(books.finance, "GET", "/houses?below=true").json()["items"] == []
    assert call(books.owner, "GET", "/houses").status_code == 403


# --- money in ----------------------------------------------------------------------------------------------------
def test_deposits_preview_then_post_and_never_twice(books, call):
    body = {"date": yesterday().isoformat(), "rate_per_m2": "10", "preview": True}
    preview = call(books.finance, "POST", "/deposits", body).json()
    assert (preview["preview"], preview["houses"], preview["total"], preview["entry_ids"]) == (True, 4, "4255.00",
                                                                                               [])
    posted = call(books.finance, "POST", "/deposits", {**body, "preview": False}).json()
    assert posted["houses"] == 4 and len(posted["entry_ids"]) == 4
    again = call(books.finance, "POST", "/deposits", {**body, "preview": False}).json()
    assert (again["houses"], again["already"]) == (0, 4)
    refused = call(books.finance, "POST", "/deposits", {"date": yesterday().isoformat()})
    assert refused.status_code == 400 and refused.json()["code"] == "fund_rate_unknown"
    assert call(books.chair, "POST", "/deposits", body).status_code == 403


def test_a_top_up_is_created_once_per_key(books, call):
    body = {"house_id": books.houses[0].pk, "amount": "88.80", "date": yesterday().isoformat(),
            "idempotency_key": "slip-7"}
    first = call(books.finance, "POST", "/top-ups", body)
    again = call(books.finance, "POST", "/top-ups", body)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and first.json()["amount"] == "88.80"
    reused = call(books.finance, "POST", "/top-ups", {**body, "amount": "88.81"})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


def test_interest_is_previewed_then_credited_once(books, call):
    deposit(books)
    body = {"amount": "42.55", "date": yesterday().isoformat(), "period_label": "2025", "preview": True}
    preview = call(books.finance, "POST", "/interest", body).json()
    # 4255 fen by balance: 895, 1200, 752.5, 1407.5; the one fen left goes to the larger of the two equal halves
    assert [s["share"] for s in preview["shares"]] == ["8.95", "12.00", "7.52", "14.08"]
    assert preview["entry"] is None
    posted = call(books.finance, "POST", "/interest", {**body, "preview": False}).json()
    assert posted["entry"]["amount"] == "42.55" and posted["houses"] == 4
    assert call(books.finance, "POST", "/interest", {**body, "preview": False}).json()["entry"]["id"] == \
        posted["entry"]["id"]


# --- a project's life --------------------------------------------------------------------------------------------
def test_a_project_from_proposal_to_payment(books, call, other_estate, django_assert_max_num_queries):
    deposit(books)
    created = call(books.finance, "POST", "/projects", {
        "title": "1号楼屋面防水", "items": [{"description": "防水层", "amount": "3000"},
                                            {"description": "脚手架", "amount": "1000.50"}],
        "scope": "buildings", "scope_ids": [books.houses[0].building_id], "contractor": "某防水公司"})
    assert created.status_code == 201
    project = created.json()
    assert (project["budget"], project["status"], project["scope_area_m2"], project["scope_count"]) == (
        "4000.50", "proposed", "209.50", 2)
    pid = project["id"]
    # a tally that falls short of the participation floor: 400 with the figures
    short = call(books.chair, "POST", f"/projects/{pid}/approval", {
        "decision": "approved", "document_ids": [document(books).pk],
        "tally": {"area": {"for": "100.00", "against": "39.66"}, "heads": {"for": 1, "against": 0, "total": 2}}})
    assert short.status_code == 400 and short.json()["code"] == "tally_does_not_pass"
    assert short.json()["detail"]["checks"]["participation_area"] is False
    foreign = call(books.chair, "POST", f"/projects/{pid}/approval", {
        "decision": "approved", "document_ids": [document(books, other_estate).pk],
        "tally": {"area": {"for": "209.50"}, "heads": {"for": 2, "total": 2}}})
    assert foreign.status_code == 400 and foreign.json()["detail"]["field"] == "document_ids"
    approved = call(books.chair, "POST", f"/projects/{pid}/approval", {
        "decision": "approved", "document_ids": [document(books).pk], "note": "业主大会 2025-1",
        "tally": {"area": {"for": "139.67", "against": "0"}, "heads": {"for": 2, "total": 2}}})
    assert approved.status_code == 200
    decision = approved.json()["approval"]
    assert decision["tally"]["passes"] is True and decision["rule_set"] == "national"
    assert decision["decided_by_role"] == "committee_chair"
    assert call(books.finance, "POST", f"/projects/{pid}/start").json()["status"] == "in_progress"
    pay = {"amount": "100.00", "date": yesterday().isoformat(), "document_ids": [document(books).pk],
           "idempotency_key": "inv-1"}
    paid = call(books.finance, "POST", f"/projects/{pid}/payments", pay)
    assert paid.status_code == 201 and paid.json()["houses"] == 2
    assert call(books.finance, "POST", f"/projects/{pid}/payments", pay).json()["payment"]["id"] == \
        paid.json()["payment"]["id"]
    over = call(books.finance, "POST", f"/projects/{pid}/payments", {**pay, "amount": "3900.51",
                                                                     "idempotency_key": "inv-2"})
    assert over.status_code == 409 and over.json()["code"] == "over_budget"
    # the owner of both houses sees each one's share; the owner outside sees the project, not the houses
    with django_assert_max_num_queries(18):
        seen = call(books.owner, "GET", f"/projects/{pid}").json()
    assert [(s["house_id"], s["share"]) for s in seen["payments"][0]["my_shares"]] == [
        (books.houses[0].pk, "42.72"), (books.houses[1].pk, "57.28")]
    assert seen["approval"]["decided_by_label"] == ""
    outside = call(books.owner2, "GET", f"/projects/{pid}").json()
    assert outside["sees_houses"] is False and outside["paid"] == "100.00" and outside["my_houses"] == []
    assert [(b["houses"], b["area_m2"]) for b in outside["by_building"]] == [(2, "209.50")]
    listed = call(books.owner2, "GET", "/projects").json()["items"]
    assert [(p["paid"], p["scope_count"]) for p in listed] == [("100.00", 2)]
    assert call(books.owner2, "GET", f"/projects/{pid}/scope").status_code == 404
    scope = call(books.owner, "GET", f"/projects/{pid}/scope").json()["items"]
    assert [(s["house_id"], s["area_m2"]) for s in scope] == [(books.houses[0].pk, "89.50"),
                                                              (books.houses[1].pk, "120.00")]
    assert call(books.finance, "POST", f"/projects/{pid}/cancel", {"reason": "x"}).status_code == 409
    assert call(books.finance, "POST", f"/projects/{pid}/complete").json()["status"] == "completed"


def test_an_emergency_is_approved_at_once_and_flagged(books, call):
    created = call(books.manager, "POST", "/projects", {
        "title": "消防泵抢修", "items": [{"description": "泵", "amount": "5000"}], "emergency": True,
        "emergency_kind": "fire_system"}).json()
    assert (created["status"], created["emergency"], created["emergency_kind"]) == ("approved", True, "fire_system")
    assert created["approval"]["tally"] is None and created["approval"]["decided_by_role"] == "manager"
    refused = call(books.finance, "POST", "/projects", {
        "title": "x", "items": [{"description": "泵", "amount": "5000"}], "emergency": True,
        "emergency_kind": "pump"})
    assert refused.status_code == 403


def test_the_project_list_is_paged_and_within_budget(books, call, django_assert_max_num_queries):
    for i in range(3):
        call(books.finance, "POST", "/projects", {"title": f"P{i}", "items": [{"description": "x", "amount": "10"}]})
    with django_assert_max_num_queries(8):
        page = call(books.owner, "GET", "/projects?limit=2").json()
    assert [p["title"] for p in page["items"]] == ["P2", "P1"] and page["next_cursor"]
    assert (page["items"][0]["budget"], page["items"][0]["paid"], page["items"][0]["scope_count"]) == ("10.00",
                                                                                                       "0.00", 4)
    rest = call(books.owner, "GET", f"/projects?limit=2&cursor={page['next_cursor']}").json()
    assert [p["title"] for p in rest["items"]] == ["P0"]
    assert call(books.tenant, "GET", "/projects").json()["items"] == []
    assert call(books.tenant, "GET", f"/projects/{page['items'][0]['id']}").status_code == 404
