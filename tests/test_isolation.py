"""Tenant isolation, proven for every route there is.

The routes are collected from the running configuration, not listed by hand: every operation registered on the
NinjaAPI (config.api.api) and every page URL pattern of config.urls. A new route is therefore covered the moment it
is registered; if it takes a path parameter this file does not know, the test fails and says what to add.

The world: estate A (明强小区) holds one object of every kind. The outsider is a manager of estate B, the most
powerful role there. The stories:

- the outsider, with a token scoped to B, gets 404 ``not_found`` on every estate-scoped route of A, exactly as for an
  estate that does not exist; with B in the URL and A's object ids in the rest of the path, 404 again;
- an anonymous caller gets 401 from the API and a redirect to the login page from the pages;
- a token scoped to B held by a user who is also a member of A gets 404 on A's routes: the token's scope, not the
  user's memberships, bounds what it can reach;
- a resident of A gets 404 (not 403) for a house of A that is not theirs;
- the non-estate routes (/me, /tokens, /estates, /auth/token) only ever show the caller's own things.

A positive control (A's own manager gets 200 on every read route) proves that the ids filled in are right, so that a
404 above means "refused", not "wrong URL".
"""

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver

from gongzhi.accounts.models import ApiToken, Membership
from gongzhi.accounts.services import token_create
from gongzhi.accounts.tests.factories import MembershipFactory
from gongzhi.core.audit import audit
from gongzhi.core.tests.shared_data import module_transaction
from gongzhi.estate.tests.factories import (
    BuildingFactory,
    EstateFactory,
    HouseFactory,
    ParkingLotFactory,
    ParkingSpaceFactory,
    PersonFactory,
    ResidencyFactory,
    UnitFactory,
    VehicleFactory,
)
from gongzhi.notices.tests.factories import NoticeAttachmentFactory
from gongzhi.notifications.models import NotificationPreference
from gongzhi.notifications.tests.factories import NotificationFactory, NotificationPreferenceFactory
from gongzhi.tickets.tests.factories import (
    CalendarDayFactory,
    DutyShiftFactory,
    SlaTargetFactory,
    TechnicianProfileFactory,
    TicketFactory,
    TicketPhotoFactory,
)
from gongzhi.tickets.tests.factories_feedback import FollowUpVisitFactory, QuoteFactory

# Every path parameter a route may take, and where its value comes from in the world below (an object of
# estate A). A route with a parameter missing here fails test_every_route_parameter_is_known.
PARAMETER_OBJECTS = {
    "estate_id": "estate",
    "building_id": "building",
    "unit_id": "unit",
    "house_id": "house",
    "person_id": "person",
    "residency_id": "residency",
    "vehicle_id": "vehicle",
    "lot_id": "lot",
    "space_id": "space",
    "membership_id": "membership",
    "token_id": "token",
    "entry_id": "audit_entry",
    "audit_id": "audit_entry",
    "ticket_id": "ticket",
    "photo_id": "photo",
    "notification_id": "notification",
    "quote_id": "quote",
    "visit_id": "follow_up",
    "notice_id": "notice",
    "attachment_id": "notice_attachment",
    "technician_id": "technician_profile",
    "shift_id": "duty_shift",
    "day_id": "calendar_day",
    "target_id": "sla_target",
    "document_id": "ledger_document",
    "expense_id": "expense",
    "approval_id": "approval",
    "project_id": "fund_project",
    "year": "closed_year",
    "month": "closed_month",
    "fee_item_id": "fee_item",
    "rule_id": "fee_rule",
    "discount_id": "discount",
    "meter_id": "meter",
    "reading_id": "meter_reading",
    "run_id": "bill_run",
    "bill_id": "bill",
    "payment_id": "payment",
    "receipt_id": "receipt",
    "refund_id": "refund",
    "order_id": "payment_order",
    "vote_id": "vote",
    "item_id": "vote_item",
    "proxy_id": "proxy",
    "request_id": "assembly_request",
    "proposal_id": "proposal",
    "meeting_id": "meeting",
    "action_id": "action_item",
    "survey_id": "survey",
    "evaluation_id": "evaluation",
    "schedule_id": "survey_schedule",
}

# Under the ledger's routes some names mean a ledger object: ``entry_id`` is a journal entry there, an audit entry
# elsewhere.
LEDGER_PARAMETER_OBJECTS = {**PARAMETER_OBJECTS, "entry_id": "ledger_entry"}
# Under a vote's routes ``document_id`` is a vote's scan (a written ballot, a proxy's authorisation).
VOTE_PARAMETER_OBJECTS = {**PARAMETER_OBJECTS, "document_id": "vote_document"}


def _parameter_objects(route) -> dict[str, str]:
    text = getattr(route, "path", None) or getattr(route, "route", "")
    if "votes/" in text:
        return VOTE_PARAMETER_OBJECTS
    return LEDGER_PARAMETER_OBJECTS if "ledger" in text or "/fund" in text else PARAMETER_OBJECTS

# API routes outside /estates/{estate_id}/: each has its own story below. A new one must be added here, with a test
# of what it shows to whom.
NON_ESTATE_API_ROUTES = {
    ("POST", "/auth/token"),
    ("GET", "/me"),
    ("GET", "/tokens"),
    ("POST", "/tokens"),
    ("DELETE", "/tokens/{token_id}"),
    ("GET", "/estates"),
    ("GET", "/me/notification-preferences"),
    ("POST", "/me/password"),
    ("PUT", "/me/notification-preferences"),
    ("POST", "/billing/notify/wechat"),
    ("POST", "/billing/notify/alipay"),
    ("POST", "/billing/notify/sandbox"),
}
# The payment gateways' notifications carry no login: each is verified by its signature (test_gateway_stories).
NOTIFY_ROUTES = {("POST", "/billing/notify/wechat"), ("POST", "/billing/notify/alipay"),
                 ("POST", "/billing/notify/sandbox")}
PUBLIC_API_ROUTES = {("POST", "/auth/token"), *NOTIFY_ROUTES}

# Page URLs outside /e/<estate_id>/ that an anonymous visitor may open. Every other one must send them to log in.
PUBLIC_PAGES = {"accounts/login/", "accounts/logout/"}
SKIPPED_PAGE_PREFIXES = ("admin/", "api/", "i18n/", "jsi18n/", "static/", "media/")

_PARAM = re.compile(r"\{(?:\w+:)?(\w+)\}")
_PAGE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


# --- route collection (at import time, so that each route is its own test id) -----------------------------------
@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str  # as registered, e.g. /estates/{estate_id}/houses/{house_id}
    public: bool

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def estate_scoped(self) -> bool:
        return self.path.startswith("/estates/{estate_id}")

    @property
    def safe(self) -> bool:
        return self.method in {"GET", "HEAD", "OPTIONS"}

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class PageRoute:
    route: str  # as in the URLconf, e.g. e/<int:estate_id>/console/houses/<int:house_id>/
    name: str

    @property
    def params(self) -> list[str]:
        return [name for _conv, name in _PAGE_PARAM.findall(self.route)]

    @property
    def estate_scoped(self) -> bool:
        return self.route.startswith("e/<int:estate_id>/")

    def __str__(self) -> str:
        return "/" + self.route


def _join(*parts: str) -> str:
    path = "/" + "/".join(p.strip("/") for p in parts if p.strip("/"))
    return re.sub(r"/+", "/", path)


def collect_api_routes() -> list[ApiRoute]:
    get_resolver().url_patterns  # importing the URLconf binds the API's routers
    from config.api import api

    routes = []
    # The bound routers carry each operation as mounted, with the authentication it inherits from the API.
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    routes.append(ApiRoute(method.upper(), _join(bound.prefix, path),
                                           public=not operation.auth_callbacks))
    return sorted(set(routes), key=lambda r: (r.path, r.method))


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield PageRoute(prefix + str(entry.pattern), entry.name or "")


def collect_page_routes() -> list[PageRoute]:
    return sorted({r for r in _walk(get_resolver().url_patterns) if not r.route.startswith(SKIPPED_PAGE_PREFIXES)},
                  key=lambda r: r.route)


API_ROUTES = collect_api_routes()
PAGE_ROUTES = collect_page_routes()
ESTATE_API_ROUTES = [r for r in API_ROUTES if r.estate_scoped]
OBJECT_API_ROUTES = [r for r in ESTATE_API_ROUTES if len(r.params) > 1]
ESTATE_READ_ROUTES = [r for r in ESTATE_API_ROUTES if r.safe]
ESTATE_PAGES = [r for r in PAGE_ROUTES if r.estate_scoped]
OTHER_PAGES = [r for r in PAGE_ROUTES if not r.estate_scoped]


# --- requests that get past validation ----------------------------------------------------------------------------
@functools.cache
def _openapi() -> dict:
    """Generated once: building the schema of the whole API takes longer than most requests."""
    from config.api import api

    return api.get_openapi_schema()


class _Example:
    """A value that satisfies an operation's schema, so that a refusal is the router's, not the validator's."""

    def __init__(self, doc: dict, ids: dict[str, int]):
        self.doc = doc
        self.ids = ids

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node: Any = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def value(self, schema: dict, name: str = "") -> Any:
        schema = self.resolve(schema)
        if schema.get("examples"):  # a field's own example first: it holds for every branch of an anyOf
            return schema["examples"][0]
        if "example" in schema:
            return schema["example"]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if self.resolve(o).get("type") != "null"]
                return self.value(options[0], name)
        if "allOf" in schema:
            return self.value(schema["allOf"][0], name)
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return {prop: self.value(sub, prop) for prop, sub in schema.get("properties", {}).items()}
        if kind == "array":
            return [self.value(schema.get("items", {}), name.removesuffix("s"))]
        if kind == "integer":
            return self.ids.get(name, 1)
        if kind == "number":
            return 1
        if kind == "boolean":
            return False
        if schema.get("format") == "binary":
            return SimpleUploadedFile("upload.xlsx", b"PK\x03\x04", content_type="application/octet-stream")
        if schema.get("format") == "date":
            return "2024-01-01"
        if schema.get("format") == "date-time":
            return "2024-01-01T00:00:00+08:00"
        return "x"


@dataclass
class Call:
    url: str
    body: bytes | None = None
    content_type: str | None = None


def build_call(route: ApiRoute, ids: dict[str, int]) -> Call:
    """The route's URL with every path parameter filled from ``ids``, its required query parameters and a body
    its schema accepts."""
    missing = [p for p in route.params if p not in ids]
    if missing:
        pytest.fail(f"{route} takes {missing}: add them to PARAMETER_OBJECTS in tests/test_isolation.py with an "
                    f"object of estate A, so that the isolation test can reach this route.")
    path = _PARAM.sub(lambda m: str(ids[m.group(1)]), route.path)
    api_root = resolve_url("api:api-root").rstrip("/")
    doc = _openapi()
    operation = doc["paths"].get(api_root + route.path, {}).get(route.method.lower(), {})
    example = _Example(doc, ids)
    query = {p["name"]: example.value(p.get("schema", {}), p["name"])
             for p in operation.get("parameters", []) if p.get("in") == "query" and p.get("required")}
    url = api_root + path + (f"?{urlencode(query)}" if query else "")
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example.value(content["application/json"]["schema"])
        return Call(url, json.dumps(body, default=str).encode(), "application/json")
    if "multipart/form-data" in content:
        data = example.value(content["multipart/form-data"]["schema"])
        return Call(url, encode_multipart(BOUNDARY, data), MULTIPART_CONTENT)
    return Call(url)


def send(client: Client, method: str, call: Call):
    if call.body is None:
        return client.generic(method, call.url)
    return client.generic(method, call.url, data=call.body, content_type=call.content_type)


def page_url(route: PageRoute, ids: dict[str, int]) -> str:
    missing = [p for p in route.params if p not in ids]
    if missing:
        pytest.fail(f"page /{route.route} takes {missing}: add them to PARAMETER_OBJECTS in "
                    f"tests/test_isolation.py with an object of estate A.")
    if "(?P<" in route.route or route.route.startswith("^"):
        pytest.fail(f"page {route.route} is a regular-expression route; use path() so it can be checked here.")
    return "/" + _PAGE_PARAM.sub(lambda m: str(ids[m.group(2)]), route.route)


def assert_not_found(response, what: str) -> None:
    assert response.status_code == 404, f"{what}: expected 404, got {response.status_code}: {response.content[:300]}"
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        assert body["code"] == "not_found", f"{what}: {body}"
        assert set(body) >= {"code", "message", "messages", "detail"}


def assert_login_redirect(response, path: str) -> None:
    assert response.status_code == 302, f"{path}: expected a redirect to log in, got {response.status_code}"
    location = urlparse(response["Location"])
    assert location.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(location.query)["next"] == [path]


# --- the world -----------------------------------------------------------------------------------------------
@dataclass
class World:
    estate: Any
    other_estate: Any
    objects: dict[str, Any]
    insider: Any  # manager of A who also lives in A's house
    outsider: Any  # manager of B
    outsider_client: Client = field(repr=False)

    def ids(self, route) -> dict[str, int]:
        return {param: getattr(self.objects[name], "pk", self.objects[name])
                for param, name in _parameter_objects(route).items()}

    def ids_in(self, estate, route) -> dict[str, int]:
        return {**self.ids(route), "estate_id": estate.pk}


@pytest.fixture(scope="module")
def _shared_world(django_db_setup, django_db_blocker, tmp_path_factory) -> World:
    """Built once for the module (ticket photos and scans go to a temporary MEDIA_ROOT); each test runs in a
    savepoint inside the module's transaction, so nothing one test writes reaches the next."""
    with module_transaction(django_db_blocker, tmp_path_factory):
        yield _build_world()


@pytest.fixture
def world(_shared_world, db) -> World:
    return _shared_world


def _member(role: str, estate, user=None):
    return MembershipFactory(role=role, estate=estate, **({"user": user} if user else {})).user


def _api_client(user, estates) -> Client:
    _token, raw = token_create(user=user, name="test", estate_ids=[e.pk for e in estates])
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _build_world() -> World:
    estate = EstateFactory(name="明强小区")
    other_estate = EstateFactory(name="阳光家园")
    building = BuildingFactory(estate=estate, name="3")
    unit = UnitFactory(building=building, name="2")
    house = HouseFactory(unit=unit, number="1502")
    insider = _member("manager", estate)
    person = PersonFactory(estate=estate, name="王芳", mobile=insider.phone, user=insider)
    residency = ResidencyFactory(house=house, person=person)
    vehicle = VehicleFactory(house=house, person=person, plate="京A12345")
    lot = ParkingLotFactory(estate=estate)
    space = ParkingSpaceFactory(lot=lot, holder=person, house=house)
    token, _raw = token_create(user=insider, name="gate", estate_ids=[estate.pk])
    entry = audit(user=insider, estate=estate, action="house.create", obj=house, after={"number": "1502"})
    ticket = TicketFactory(house=house, submitted_by=insider)
    photo = TicketPhotoFactory(ticket=ticket)
    notification = NotificationFactory(estate=estate, user=insider)
    notice_attachment = NoticeAttachmentFactory(notice__estate=estate, notice__created_by=insider)
    quote = QuoteFactory(ticket=ticket)
    technician = _member("technician", estate)
    technician_profile = TechnicianProfileFactory(estate=estate, user=technician)
    duty_shift = DutyShiftFactory(estate=estate, user=technician)
    calendar_day = CalendarDayFactory(estate=estate)
    sla_target = SlaTargetFactory(category=ticket.category)
    follow_up = FollowUpVisitFactory(ticket=ticket)
    ledger = _ledger_objects(estate, insider, house)
    billing = _billing_objects(estate, insider, house)
    governance = _governance_objects(estate, insider, house, person)
    objects = {**ledger, **billing, **governance, "estate": estate, "building": building, "unit": unit, "house": house, "person": person,
               "residency": residency, "vehicle": vehicle, "lot": lot, "space": space,
               "membership": Membership.objects.get(user=insider, estate=estate), "token": token,
               "audit_entry": entry, "ticket": ticket, "photo": photo,
               "notification": notification, "quote": quote, "follow_up": follow_up,
               "notice": notice_attachment.notice, "notice_attachment": notice_attachment,
               "technician_profile": technician_profile, "duty_shift": duty_shift, "calendar_day": calendar_day,
               "sla_target": sla_target}
    # Estate B has its own registry, so that a route answering from the wrong estate would have rows to show.
    house_b = HouseFactory(unit=UnitFactory(building=BuildingFactory(estate=other_estate, name="3"), name="2"),
                           number="1502")
    TicketFactory(house=house_b)
    outsider = _member("manager", other_estate)
    return World(estate=estate, other_estate=other_estate, objects=objects, insider=insider, outsider=outsider,
                 outsider_client=_api_client(outsider, [other_estate]))


def _ledger_objects(estate, insider, house) -> dict[str, Any]:
    """A posted entry with a document in a closed month, an expense, an approval and a fund project of estate A."""
    import datetime
    import hashlib

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from gongzhi.core.access import resolve_actor
    from gongzhi.ledger import services as ledger
    from gongzhi.ledger.chart import accounts_by_code
    from gongzhi.ledger.choices import ApprovalDecision, ApprovalKind, EntryKind
    from gongzhi.ledger.models import Approval, Document, ExpenseRequest, FundProject, FundProjectHouse

    actor = resolve_actor(insider, estate.pk)
    data = b"%PDF-1.4\n%%EOF\n"
    document = Document(estate=estate, name="invoice.pdf", content_type="application/pdf", size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=insider)
    document.file.save("invoice.pdf", ContentFile(data), save=False)
    document.save()
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=40)).replace(day=1)
    entry = ledger.entry_post(estate=estate, actor=actor, date=month, kind=EntryKind.PUBLIC_REVENUE,
                              description="电梯广告", documents=[document],
                              lines=[ledger.Line("1002", debit="100"), ledger.Line("4101", credit="100")])
    ledger.period_close(actor=actor, year=month.year, month=month.month)
    accounts = accounts_by_code(estate, ["5002", "1002"])
    approval = Approval.objects.create(estate=estate, kind=ApprovalKind.EXPENSE,
                                       decision=ApprovalDecision.APPROVED, decided_by=insider)
    expense = ExpenseRequest.objects.create(estate=estate, account=accounts["5002"], pay_from=accounts["1002"],
                                            amount="20000.00", date=timezone.localdate(), counterparty="保洁公司",
                                            description="保洁外包", requested_by=insider)
    project = FundProject.objects.create(estate=estate, title="屋面防水", budget="1000.00", proposed_by=insider,
                                         scope_area_m2=house.area_m2)
    FundProjectHouse.objects.create(estate=estate, project=project, house=house, area_m2=house.area_m2)
    return {"ledger_entry": entry, "ledger_document": document, "expense": expense, "approval": approval,
            "fund_project": project, "closed_year": month.year, "closed_month": month.month}


def _governance_objects(estate, insider, house, person) -> dict[str, Any]:
    """An open vote of estate A with an item, a scan, a proxy and its roll; an assembly request, a proposal, a
    meeting with an action item; a survey and an evaluation, written directly."""
    import datetime
    import hashlib

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from gongzhi.governance import models as g
    from gongzhi.surveys.models import Evaluation, Survey, SurveySchedule

    now = timezone.now()
    from gongzhi.governance.rules import rules_for

    # Published, so that its result, dataset and ballot list are readable by A's manager (the control).
    vote = g.Vote.objects.create(estate=estate, title="业主大会", status="published", opens_at=now,
                                 closes_at=now + datetime.timedelta(days=20), created_by=insider, opened_at=now,
                                 closed_at=now, published_at=now, rules=rules_for(estate)[1].as_json(),
                                 total_area_m2=house.area_m2, total_heads=1, result={"items": []})
    item = g.VoteItem.objects.create(estate=estate, vote=vote, position=1, title="续聘物业", matter="company")
    g.RollEntry.objects.create(estate=estate, vote=vote, house=house, house_code="3-2-1502", area_m2=house.area_m2,
                               area_source="contract", head_unit=f"u:{house.pk}", head_kind="owners",
                               representative=person)
    data = b"%PDF-1.4\n%%EOF\n"
    scan = g.VoteDocument(estate=estate, name="proxy.pdf", content_type="application/pdf", size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), uploaded_by=insider)
    scan.file.save("proxy.pdf", ContentFile(data), save=False)
    scan.save()
    proxy = g.Proxy.objects.create(estate=estate, vote=vote, house=house, principal=person, agent=person,
                                   document=scan, recorded_by=insider)
    request = g.AssemblyRequest.objects.create(estate=estate, title="临时业主大会", matters="更换物业",
                                               started_by=insider)
    proposal = g.Proposal.objects.create(estate=estate, title="增设充电桩", body="在地下车库增设充电桩。", author=insider)
    meeting = g.Meeting.objects.create(estate=estate, title="议事会", starts_at=now, place="会议室", created_by=insider)
    action = g.ActionItem.objects.create(estate=estate, meeting=meeting, title="询价", owner_name="王经理",
                                         due_date=timezone.localdate())
    survey = Survey.objects.create(estate=estate, title="满意度调查", status="published", audience="residents",
                                   opens_at=now)
    evaluation = Evaluation.objects.create(estate=estate, year=2026, quarter=3)
    template = Survey.objects.create(estate=estate, title="季度满意度", is_template=True)
    schedule = SurveySchedule.objects.create(estate=estate, name="季度满意度", template=template)
    return {"vote": vote, "vote_item": item, "vote_document": scan, "proxy": proxy, "assembly_request": request,
            "proposal": proposal, "meeting": meeting, "action_item": action, "survey": survey,
            "evaluation": evaluation, "survey_schedule": schedule}


def _billing_objects(estate, insider, house) -> dict[str, Any]:
    """A fee item with its rule and a discount, a meter with a reading, a bill run with a bill, a payment with its
    receipt, a refund and an online order of estate A, written directly."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from gongzhi.billing import models as b

    day = datetime.date(2026, 1, 1)
    item = b.FeeItem.objects.create(estate=estate, code="property", name="物业费", kind="area")
    rule = b.FeeRule.objects.create(estate=estate, fee_item=item, rate=Decimal("2.20"), effective_from=day)
    discount = b.Discount.objects.create(estate=estate, kind="vacant", percent=Decimal("30"), effective_from=day)
    meter = b.Meter.objects.create(estate=estate, house=house, kind="water", installed_on=day,
                                   initial_reading=Decimal("0"))
    reading = b.MeterReading.objects.create(estate=estate, meter=meter, house=house, read_on=day,
                                            value=Decimal("12.5"))
    run = b.BillRun.objects.create(estate=estate, key="2026-01:all", period_kind="month", period_start=day,
                                   period_end=datetime.date(2026, 1, 31))
    bill = b.Bill.objects.create(estate=estate, run=run, house=house, period_start=day,
                                 period_end=datetime.date(2026, 1, 31), due_date=datetime.date(2026, 1, 31),
                                 amount=Decimal("260.70"), payer_name="王芳")
    b.BillLine.objects.create(estate=estate, bill=bill, fee_item=item, description="物业费", quantity=Decimal("1"),
                              rate=Decimal("260.70"), amount=Decimal("260.70"), explanation="260.70 元",
                              ledger_code="4001")
    order = b.PaymentOrder.objects.create(estate=estate, house=house, provider="sandbox", out_trade_no="GZISO1",
                                          amount=Decimal("1.00"), created_by=insider)
    payment = b.Payment.objects.create(estate=estate, house=house, method="cash", amount=Decimal("100.00"),
                                       key="iso-1", actor=insider)
    receipt = b.Receipt.objects.create(estate=estate, number=1, payment=payment, house=house,
                                       amount=Decimal("100.00"), issued_at=timezone.now())
    refund = b.Refund.objects.create(estate=estate, house=house, amount=Decimal("1.00"), method="cash",
                                     reason="多缴", requested_by=insider)
    return {"fee_item": item, "fee_rule": rule, "discount": discount, "meter": meter, "meter_reading": reading,
            "bill_run": run, "bill": bill, "payment": payment, "receipt": receipt, "refund": refund,
            "payment_order": order}


def test_routes_were_collected():
    """Given the URLconf, the collection finds the registry, the accounts API and the pages (a guard against a
    collection that silently finds nothing and so proves nothing)."""
    assert ("GET", "/estates/{estate_id}/houses/{house_id}") in {(r.method, r.path) for r in API_ROUTES}
    assert len(ESTATE_API_ROUTES) >= 20
    assert {"e/<int:estate_id>/", "e/<int:estate_id>/console/"} <= {r.route for r in ESTATE_PAGES}


@pytest.mark.parametrize("route", API_ROUTES + PAGE_ROUTES, ids=str)
def test_every_route_parameter_is_known(route):
    unknown = [p for p in route.params if p not in PARAMETER_OBJECTS]
    assert not unknown, (f"{route} takes {unknown}: add each to PARAMETER_OBJECTS in tests/test_isolation.py (and "
                         f"create that object in estate A in the `world` fixture) so that isolation is tested.")


@pytest.mark.parametrize("route", [r for r in API_ROUTES if not r.estate_scoped], ids=str)
def test_every_non_estate_api_route_has_its_own_story(route):
    assert (route.method, route.path) in NON_ESTATE_API_ROUTES, (
        f"{route} is not under /estates/{{estate_id}}/. Either move it there (then it is tested generically) or add "
        f"it to NON_ESTATE_API_ROUTES with a test of what it shows to whom.")
    assert route.public == ((route.method, route.path) in PUBLIC_API_ROUTES), f"{route}: unexpected authentication"


@pytest.mark.parametrize("provider", ["wechat", "alipay", "sandbox"])
def test_gateway_stories_an_unsigned_notification_reveals_nothing_and_changes_nothing(world, provider):
    """Given estate A's open order, when anyone posts an unsigned notification for it to a gateway endpoint, then
    the answer is the gateway's failure format with nothing about the order in it, the order stays unpaid, and the
    refusal is logged."""
    from gongzhi.billing.models import Payment, PaymentNotification

    order = world.objects["payment_order"]
    body = json.dumps({"out_trade_no": order.out_trade_no, "amount": {"total": 100}, "trade_state": "SUCCESS",
                       "total_amount": "1.00", "trade_status": "TRADE_SUCCESS"}).encode()
    response = Client().post(f"/api/v1/billing/notify/{provider}", data=body, content_type="application/json")
    assert 400 <= response.status_code < 600
    assert order.out_trade_no.encode() not in response.content and str(order.amount).encode() not in response.content
    order.refresh_from_db()
    assert order.status == "created" and not Payment.objects.filter(order=order).exists()
    assert PaymentNotification.objects.filter(provider=provider, outcome="rejected").exists()


# --- the API -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ESTATE_API_ROUTES, ids=str)
def test_member_of_another_estate_gets_404(world, route):
    """Given B's manager with a token for B, when they call any of A's routes, then 404 not_found."""
    response = send(world.outsider_client, route.method, build_call(route, world.ids(route)))
    assert_not_found(response, str(route))


@pytest.mark.parametrize("route", OBJECT_API_ROUTES, ids=str)
def test_objects_of_another_estate_are_not_found_through_ones_own(world, route):
    """Given B's manager, when they name their own estate B in the URL but A's building, house, person... then
    404: objects are looked up within the estate of the URL."""
    before = {k: type(o).objects.filter(pk=o.pk).values().first() for k, o in world.objects.items()
              if hasattr(o, "pk")}
    response = send(world.outsider_client, route.method, build_call(route, world.ids_in(world.other_estate, route)))
    assert_not_found(response, str(route))
    assert {k: type(o).objects.filter(pk=o.pk).values().first() for k, o in world.objects.items()
              if hasattr(o, "pk")} == before


@pytest.mark.parametrize("route", [r for r in API_ROUTES if not r.public], ids=str)
def test_anonymous_caller_gets_401(world, route):
    response = send(Client(), route.method, build_call(route, world.ids(route)))
    assert response.status_code == 401, f"{route}: {response.status_code} {response.content[:300]}"
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("route", [r for r in ESTATE_API_ROUTES if not r.safe], ids=str)
def test_authentication_comes_before_validation(world, route):
    """An anonymous caller learns nothing from the validator either: a broken body still gets 401, not 422."""
    call = build_call(route, world.ids(route))
    response = Client().generic(route.method, call.url, data=b"{not json", content_type="application/json")
    assert response.status_code == 401, f"{route}: {response.status_code}"


@pytest.mark.parametrize("route", [r for r in API_ROUTES if not r.public], ids=str)
def test_unknown_bearer_token_gets_401(world, route):
    client = Client(HTTP_AUTHORIZATION="Bearer gz_not-a-token-of-anyone")
    response = send(client, route.method, build_call(route, world.ids(route)))
    assert response.status_code == 401, f"{route}: {response.status_code}"


@pytest.mark.parametrize("route", ESTATE_API_ROUTES, ids=str)
def test_token_scoped_to_another_estate_gets_404_even_for_a_member(world, member, api, route):
    """Given a user who manages both A and B, with a token scoped to B only, then A's routes answer 404."""
    both = member("manager", world.other_estate, user=world.insider)
    response = send(api(both, [world.other_estate]), route.method, build_call(route, world.ids(route)))
    assert_not_found(response, str(route))


@pytest.mark.parametrize("route", ESTATE_READ_ROUTES, ids=str)
def test_control_own_manager_reads_every_route(world, api, route):
    """The control: A's manager, with a token for A, reads every route with the same ids (so a 404 above is a
    refusal, not a wrong URL)."""
    response = send(api(world.insider, [world.estate]), route.method, build_call(route, world.ids(route)))
    assert response.status_code == 200, f"{route}: {response.status_code} {response.content[:300]}"


def test_resident_gets_404_for_a_house_that_is_not_theirs(world, member, api):
    """Given a resident of A living in one house, when they ask for another house of A, then 404, not 403: they
    cannot even learn that it exists."""
    resident = member("owner", world.estate)
    home = HouseFactory(unit=world.objects["unit"], number="1501")
    ResidencyFactory(house=home, person=PersonFactory(estate=world.estate, mobile=resident.phone, user=resident))
    client = api(resident, [world.estate])
    url = f"/api/v1/estates/{world.estate.pk}/houses/"
    assert client.get(url + str(home.pk)).status_code == 200
    assert_not_found(client.get(url + str(world.objects["house"].pk)), "another resident's house")
    listed = client.get(f"/api/v1/estates/{world.estate.pk}/houses").json()["items"]
    assert [h["id"] for h in listed] == [home.pk]

    pages = Client()
    pages.force_login(resident)
    portal = resolve_url("estate:my_house", estate_id=world.estate.pk, house_id=world.objects["house"].pk)
    assert pages.get(portal).status_code == 404
    # The staff console refuses residents as a whole (the same answer for any house id, existing or not), so it
    # tells them nothing about which houses exist.
    console = resolve_url("estate:house", estate_id=world.estate.pk, house_id=world.objects["house"].pk)
    missing = resolve_url("estate:house", estate_id=world.estate.pk, house_id=10**9)
    assert pages.get(console).status_code == pages.get(missing).status_code in {403, 404}


# --- the non-estate API routes -------------------------------------------------------------------------------------
def test_anonymous_may_only_sign_in(world):
    response = Client().post("/api/v1/auth/token", {"phone": world.insider.phone, "password": "wrong-password-1"},
                             content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_estates_lists_only_the_callers_estates(world, api):
    body = world.outsider_client.get("/api/v1/estates").json()
    assert [e["id"] for e in body] == [world.other_estate.pk]


def test_estates_lists_only_the_tokens_estates(world, member, api):
    member("manager", world.other_estate, user=world.insider)
    body = api(world.insider, [world.other_estate]).get("/api/v1/estates").json()
    assert [e["id"] for e in body] == [world.other_estate.pk]


def test_me_shows_only_the_callers_memberships(world):
    body = world.outsider_client.get("/api/v1/me").json()
    assert body["id"] == world.outsider.pk
    assert [m["estate"]["id"] for m in body["memberships"]] == [world.other_estate.pk]


def test_tokens_lists_only_the_callers_tokens(world):
    body = world.outsider_client.get("/api/v1/tokens").json()
    assert world.objects["token"].pk not in {t["id"] for t in body}
    assert set(ApiToken.objects.filter(pk__in=[t["id"] for t in body]).values_list("user_id", flat=True)) == {
        world.outsider.pk}


def test_another_users_token_cannot_be_revoked(world):
    token = world.objects["token"]
    response = world.outsider_client.delete(f"/api/v1/tokens/{token.pk}")
    assert_not_found(response, "another user's token")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_changing_ones_password_touches_only_ones_own_account(world):
    """B's manager changing their password (wrongly, then rightly) leaves A's manager and A's tokens alone."""
    from gongzhi.accounts.tests.factories import TEST_PASSWORD

    token = world.objects["token"]
    wrong = world.outsider_client.post("/api/v1/me/password", {"current_password": "x" * 12,
                                                               "new_password": "lantern-harbour-42"},
                                       content_type="application/json")
    assert wrong.status_code == 400
    world.outsider_client.post("/api/v1/me/password", {"current_password": TEST_PASSWORD,
                                                       "new_password": "lantern-harbour-42"},
                               content_type="application/json")
    token.refresh_from_db()
    assert token.revoked_at is None
    world.insider.refresh_from_db()
    assert world.insider.check_password(TEST_PASSWORD)


def test_no_token_can_be_minted_for_an_estate_one_does_not_belong_to(world):
    response = world.outsider_client.post("/api/v1/tokens", {"name": "x", "estate_ids": [world.estate.pk]},
                                          content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token_scope"
    assert all(world.estate.pk not in t.estate_ids for t in ApiToken.objects.filter(user=world.outsider))


def test_notification_preferences_are_only_the_callers(world):
    """Given A's manager turned email off for system messages, when B's manager reads and sets their own
    preferences, then they see the defaults and A's manager's choice is untouched."""
    mine = NotificationPreferenceFactory(user=world.insider, channel="email", kind="system", enabled=False)
    url = "/api/v1/me/notification-preferences"
    shown = {(p["channel"], p["kind"]): p["enabled"] for p in world.outsider_client.get(url).json()}
    assert shown[("email", "system")] is True
    response = world.outsider_client.put(
        url, {"preferences": [{"channel": "email", "kind": "system", "enabled": True}]},
        content_type="application/json")
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.enabled is False
    assert set(NotificationPreference.objects.values_list("user_id", flat=True)) == {world.insider.pk,
                                                                                      world.outsider.pk}


# --- pages ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", ESTATE_PAGES, ids=str)
def test_page_of_another_estate_is_404(world, route, method):
    client = Client()
    client.force_login(world.outsider)
    response = getattr(client, method)(page_url(route, world.ids(route)))
    assert response.status_code == 404, f"{route} ({method}): {response.status_code}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", ESTATE_PAGES, ids=str)
def test_anonymous_visitor_is_sent_to_log_in(world, route, method):
    path = page_url(route, world.ids(route))
    assert_login_redirect(getattr(Client(), method)(path), path)


@pytest.mark.parametrize("route", ESTATE_PAGES, ids=str)
def test_control_own_manager_opens_every_page(world, route):
    """The control for the pages: A's manager (who also lives in A's house) opens each with the same ids."""
    client = Client()
    client.force_login(world.insider)
    response = client.get(page_url(route, world.ids(route)))
    assert response.status_code == 200, f"{route}: {response.status_code}"


@pytest.mark.parametrize("route", [r for r in OTHER_PAGES if r.route not in PUBLIC_PAGES], ids=str)
def test_anonymous_visitor_is_sent_to_log_in_outside_estates(world, route):
    path = page_url(route, world.ids(route))
    assert_login_redirect(Client().get(path), path)
