"""Fee items, their rules and discounts, meters and readings over the API (``/estates/{estate_id}/billing/...``).

Everyone in the estate reads fee items, rules and discounts (Civil Code art. 943: fee items and rates are owed to
the owners); finance and the manager change them. Meters and readings: finance, the manager and technicians read
and enter readings; finance and the manager install and replace meters and import readings.

Errors are the one error shape: 400 a rule refused the input (``invalid_field`` with ``detail.field``,
``import_invalid`` with every row's problem), 403 the role may not, 404 missing or another estate's, 409 the
state forbids it (``fee_rule_overlap``, ``reading_exists``, ``reading_billed``, ``meter_exists``...). Long lists
are cursor-paginated."""

import datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.core.api import api_actor
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.pagination import paginate
from gongzhi.estate.importing.reading import Limits
from gongzhi.estate.models import House

from .. import meters, readings_import, rules
from ..choices import DiscountKind, FeeKind, LedgerCode, MeterKind
from ..errors import invalid
from ..models import Discount, FeeItem, FeeRule, Meter, MeterReading
from ..policies import MeterPolicy

router = Router(tags=["fee rules"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- schemas -----------------------------------------------------------------------------------------------------
class TierIO(Schema):
    up_to: Decimal | None = Field(None, description="Upper bound of the step; empty on the last step.",
                                  examples=["10"])
    price: Decimal = Field(..., examples=["3.50"])


class RuleOut(Schema):
    id: int
    fee_item_id: int
    house_kind: str
    space_status: str
    rate: Decimal
    tiers: list[TierIO]
    effective_from: datetime.date
    effective_to: datetime.date | None
    note: str


class FeeItemOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    meter_kind: str
    ledger_code: str
    late_fee: bool
    active: bool
    sort_key: int


class FeeItemIn(Schema):
    code: str = Field(..., max_length=32, examples=["property"])
    name: str = Field(..., max_length=60, examples=["物业费"])
    kind: FeeKind
    meter_kind: MeterKind | None = None
    ledger_code: LedgerCode | None = Field(None, description="Default by kind: 4001, 4002 parking, 4003 metered, "
                                                             "4009 one-off.")
    late_fee: bool = True
    active: bool = True
    sort_key: int = 0
    rate: Decimal | None = Field(None, description="With effective_from: the item's first rule (for a one-off "
                                                   "item, its default amount).")
    effective_from: datetime.date | None = None
    tiers: list[TierIO] = Field(default_factory=list)


class FeeItemPatch(Schema):
    name: str | None = Field(None, max_length=60)
    late_fee: bool | None = None
    active: bool | None = None
    sort_key: int | None = None
    ledger_code: LedgerCode | None = None


class RuleIn(Schema):
    rate: Decimal = Field(..., examples=["2.50"])
    effective_from: datetime.date
    effective_to: datetime.date | None = None
    house_kind: str = Field("", description="A house kind, or empty for every kind without a rule of its own.")
    space_status: str = Field("", description="Per-space items: a parking-space status, or empty for every status.")
    tiers: list[TierIO] = Field(default_factory=list)
    note: str = Field("", max_length=200)


class EndIn(Schema):
    effective_to: datetime.date


class DiscountOut(Schema):
    id: int
    kind: str
    kind_label: str
    fee_item_id: int | None
    house_id: int | None
    percent: Decimal
    months: int | None
    effective_from: datetime.date
    effective_to: datetime.date | None
    reason: str


class DiscountIn(Schema):
    kind: DiscountKind
    percent: Decimal = Field(..., examples=["30"])
    effective_from: datetime.date
    effective_to: datetime.date | None = None
    fee_item_id: int | None = None
    house_id: int | None = Field(None, description="Required for an exemption.")
    months: int | None = Field(None, description="Required for a prepayment discount.")
    reason: str = Field("", max_length=200)


class DiscountPage(Schema):
    items: list[DiscountOut]
    next_cursor: str | None


class MeterOut(Schema):
    id: int
    house_id: int
    kind: str
    serial: str
    installed_on: datetime.date
    initial_reading: Decimal
    removed_on: datetime.date | None
    final_reading: Decimal | None
    replaces_id: int | None


class MeterPage(Schema):
    items: list[MeterOut]
    next_cursor: str | None


class MeterIn(Schema):
    house_id: int
    kind: MeterKind
    serial: str = Field("", max_length=40)
    installed_on: datetime.date
    initial_reading: Decimal


class ReplaceIn(Schema):
    replaced_on: datetime.date
    final_reading: Decimal = Field(..., description="The old meter's reading when removed.")
    initial_reading: Decimal = Field(..., description="The new meter's reading when installed.")
    serial: str = Field("", max_length=40)


class ReadingOut(Schema):
    id: int
    meter_id: int
    house_id: int
    read_on: datetime.date
    value: Decimal
    source: str
    note: str
    billed: bool


class ReadingPage(Schema):
    items: list[ReadingOut]
    next_cursor: str | None


class ReadingIn(Schema):
    read_on: datetime.date
    value: Decimal = Field(..., examples=["1310.5"])
    note: str = Field("", max_length=200)


class CorrectIn(Schema):
    value: Decimal
    note: str = Field("", max_length=200)


class ReadingRowErrorOut(Schema):
    sheet: str
    row: int | None
    column: str
    value: str
    reason_zh: str
    reason_en: str
    message_zh: str
    message_en: str


class ImportOut(Schema):
    ok: bool
    dry_run: bool
    filename: str
    sha256: str
    rows: int
    created: int
    unchanged: int
    error_total: int
    errors: list[ReadingRowErrorOut]


class RulesCursorIn(Schema):
    cursor: str | None = None
    limit: int = 50


class MeterFilters(RulesCursorIn):
    kind: MeterKind | None = None
    house_id: int | None = None
    current: bool | None = True


# --- presenting --------------------------------------------------------------------------------------------------
def _item(i: FeeItem) -> dict:
    return {"id": i.pk, "code": i.code, "name": i.name, "kind": i.kind, "kind_label": str(FeeKind(i.kind).label),
            "meter_kind": i.meter_kind, "ledger_code": i.ledger_code, "late_fee": i.late_fee, "active": i.active,
            "sort_key": i.sort_key}


def _rule(r: FeeRule) -> dict:
    return {"id": r.pk, "fee_item_id": r.fee_item_id, "house_kind": r.house_kind, "space_status": r.space_status,
            "rate": r.rate, "tiers": r.tiers or [], "effective_from": r.effective_from,
            "effective_to": r.effective_to, "note": r.note}


def _discount(d: Discount) -> dict:
    return {"id": d.pk, "kind": d.kind, "kind_label": str(DiscountKind(d.kind).label), "fee_item_id": d.fee_item_id,
            "house_id": d.house_id, "percent": d.percent, "months": d.months, "effective_from": d.effective_from,
            "effective_to": d.effective_to, "reason": d.reason}


def _meter(m: Meter) -> dict:
    return {"id": m.pk, "house_id": m.house_id, "kind": m.kind, "serial": m.serial, "installed_on": m.installed_on,
            "initial_reading": m.initial_reading, "removed_on": m.removed_on, "final_reading": m.final_reading,
            "replaces_id": m.replaces_id}


def _reading(r: MeterReading, billed: bool | None = None) -> dict:
    return {"id": r.pk, "meter_id": r.meter_id, "house_id": r.house_id, "read_on": r.read_on, "value": r.value,
            "source": r.source, "note": r.note,
            "billed": bool(getattr(r, "billed", False)) if billed is None else billed}


def _tiers(tiers: list[TierIO]) -> list[dict]:
    return [{"up_to": None if t.up_to is None else str(t.up_to), "price": str(t.price)} for t in tiers]


def _meter_reader(actor, action: str = "view"):
    if not MeterPolicy.can(actor, action):
        raise Forbidden()
    return actor


def _house(actor, house_id: int | None) -> House | None:
    if house_id is None:
        return None
    house = House.objects.filter(estate=actor.estate, pk=house_id).first()
    if house is None:
        raise invalid("house_id", _("no such house in this estate"))
    return house


# --- fee items and rules -----------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/billing/fee-items", response=list[FeeItemOut],
            summary="The estate's fee items (every member: art. 943 disclosure)")
def fee_items(request, estate_id: int, active: bool | None = None):
    actor = api_actor(request, estate_id)
    return [_item(i) for i in rules.fee_item_list(actor=actor, active=active)]


@router.post("/estates/{estate_id}/billing/fee-items", response={201: FeeItemOut},
             summary="Create a fee item, optionally with its first rate (finance, manager)")
def fee_item_create(request, estate_id: int, body: FeeItemIn):
    actor = api_actor(request, estate_id)
    item = rules.fee_item_create(actor=actor, code=body.code, name=body.name, kind=body.kind,
                                 meter_kind=body.meter_kind or "", ledger_code=body.ledger_code or "",
                                 late_fee=body.late_fee, active=body.active, sort_key=body.sort_key, rate=body.rate,
                                 effective_from=body.effective_from, tiers=_tiers(body.tiers))
    return Status(201, _item(item))


@router.get("/estates/{estate_id}/billing/fee-items/{fee_item_id}", response=FeeItemOut, summary="One fee item")
def fee_item(request, estate_id: int, fee_item_id: int):
    actor = api_actor(request, estate_id)
    return _item(rules.fee_item_get_for_actor(actor=actor, fee_item_id=fee_item_id))


@router.patch("/estates/{estate_id}/billing/fee-items/{fee_item_id}", response=FeeItemOut,
              summary="Rename, reorder, (de)activate a fee item (finance, manager)")
def fee_item_update(request, estate_id: int, fee_item_id: int, body: FeeItemPatch):
    actor = api_actor(request, estate_id)
    item = rules.fee_item_get_for_actor(actor=actor, fee_item_id=fee_item_id)
    return _item(rules.fee_item_update(actor=actor, fee_item=item, name=body.name, late_fee=body.late_fee,
                                       active=body.active, sort_key=body.sort_key, ledger_code=body.ledger_code))


@router.get("/estates/{estate_id}/billing/fee-items/{fee_item_id}/rules", response=list[RuleOut],
            summary="The rules (rates) of a fee item, newest first (every member)")
def fee_rules(request, estate_id: int, fee_item_id: int):
    actor = api_actor(request, estate_id)
    item = rules.fee_item_get_for_actor(actor=actor, fee_item_id=fee_item_id)
    return [_rule(r) for r in rules.fee_rule_list(actor=actor, fee_item=item)]


@router.post("/estates/{estate_id}/billing/fee-items/{fee_item_id}/rules", response={201: RuleOut},
             summary="A new rate from a day (finance, manager); the open rule ends the day before")
def fee_rule_create(request, estate_id: int, fee_item_id: int, body: RuleIn):
    """409 ``fee_rule_overlap`` when the new range overlaps another rule of the same houses (other than the open
    rule it follows). Issued bills keep their rates."""
    actor = api_actor(request, estate_id)
    item = rules.fee_item_get_for_actor(actor=actor, fee_item_id=fee_item_id)
    rule = rules.fee_rule_create(actor=actor, fee_item=item, rate=body.rate, effective_from=body.effective_from,
                                 effective_to=body.effective_to, house_kind=body.house_kind,
                                 space_status=body.space_status, tiers=_tiers(body.tiers), note=body.note)
    return Status(201, _rule(rule))


@router.post("/estates/{estate_id}/billing/fee-items/{fee_item_id}/rules/{rule_id}/end", response=RuleOut,
             summary="End a rule on a day (finance, manager)")
def fee_rule_end(request, estate_id: int, fee_item_id: int, rule_id: int, body: EndIn):
    actor = api_actor(request, estate_id)
    rule = rules.fee_rule_get_for_actor(actor=actor, rule_id=rule_id)
    if rule.fee_item_id != fee_item_id:
        raise NotFound()
    return _rule(rules.fee_rule_end(actor=actor, rule=rule, effective_to=body.effective_to))


# --- discounts ---------------------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/billing/discounts", response=DiscountPage,
            summary="Discounts, newest first (every member)")
def discounts(request, estate_id: int, filters: Query[RulesCursorIn]):
    actor = api_actor(request, estate_id)
    page = paginate(rules.discount_list(actor=actor), cursor=filters.cursor, limit=filters.limit, descending=True)
    return {"items": [_discount(d) for d in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/billing/discounts", response={201: DiscountOut},
             summary="Create a discount: vacant, exemption of one house, prepayment (finance, manager)")
def discount_create(request, estate_id: int, body: DiscountIn):
    actor = api_actor(request, estate_id)
    item = rules.fee_item_get_for_actor(actor=actor, fee_item_id=body.fee_item_id) if body.fee_item_id else None
    discount = rules.discount_create(actor=actor, kind=body.kind, percent=body.percent,
                                     effective_from=body.effective_from, effective_to=body.effective_to,
                                     fee_item=item, house=_house(actor, body.house_id), months=body.months,
                                     reason=body.reason)
    return Status(201, _discount(discount))


@router.post("/estates/{estate_id}/billing/discounts/{discount_id}/end", response=DiscountOut,
             summary="End a discount on a day (finance, manager)")
def discount_end(request, estate_id: int, discount_id: int, body: EndIn):
    actor = api_actor(request, estate_id)
    discount = rules.discount_get_for_actor(actor=actor, discount_id=discount_id)
    return _discount(rules.discount_end(actor=actor, discount=discount, effective_to=body.effective_to))


# --- meters and readings -----------------------------------------------------------------------------------------
@router.get("/estates/{estate_id}/billing/meters", response=MeterPage,
            summary="Meters (finance, manager, technicians)")
def meter_list(request, estate_id: int, filters: Query[MeterFilters]):
    actor = _meter_reader(api_actor(request, estate_id))
    qs = meters.meter_list(actor=actor, kind=filters.kind or "", house_id=filters.house_id, current=filters.current)
    page = paginate(qs, cursor=filters.cursor, limit=filters.limit)
    return {"items": [_meter(m) for m in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/billing/meters", response={201: MeterOut},
             summary="Install a meter in a house (finance, manager)")
def meter_install(request, estate_id: int, body: MeterIn):
    actor = api_actor(request, estate_id)
    meter = meters.meter_install(actor=actor, house=_house(actor, body.house_id), kind=body.kind,
                                 installed_on=body.installed_on, initial_reading=body.initial_reading,
                                 serial=body.serial)
    return Status(201, _meter(meter))


@router.get("/estates/{estate_id}/billing/meters/{meter_id}", response=MeterOut, summary="One meter")
def meter_get(request, estate_id: int, meter_id: int):
    actor = api_actor(request, estate_id)
    return _meter(meters.meter_get_for_actor(actor=actor, meter_id=meter_id))


@router.post("/estates/{estate_id}/billing/meters/{meter_id}/replace", response={201: MeterOut},
             summary="Replace a meter: the old one's final reading, the new one's initial reading (finance, manager)")
def meter_replace(request, estate_id: int, meter_id: int, body: ReplaceIn):
    actor = api_actor(request, estate_id)
    meter = meters.meter_get_for_actor(actor=actor, meter_id=meter_id)
    new = meters.meter_replace(actor=actor, meter=meter, replaced_on=body.replaced_on,
                               final_reading=body.final_reading, initial_reading=body.initial_reading,
                               serial=body.serial)
    return Status(201, _meter(new))


@router.get("/estates/{estate_id}/billing/meters/{meter_id}/readings", response=ReadingPage,
            summary="A meter's readings, newest first, with whether each is billed")
def reading_list(request, estate_id: int, meter_id: int, filters: Query[RulesCursorIn]):
    actor = api_actor(request, estate_id)
    meter = meters.meter_get_for_actor(actor=actor, meter_id=meter_id)
    page = paginate(meters.reading_list(actor=actor, meter=meter), cursor=filters.cursor, limit=filters.limit,
                    descending=True)
    return {"items": [_reading(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/estates/{estate_id}/billing/meters/{meter_id}/readings", response={201: ReadingOut},
             summary="Record a reading (finance, manager, technicians); the same reading again is taken once")
def reading_record(request, estate_id: int, meter_id: int, body: ReadingIn):
    """400 ``invalid_field`` for a reading lower than the last one, before its day, in the future, or a jump beyond
    the meter kind's limit; 409 ``reading_exists`` for another value on a day already read."""
    actor = api_actor(request, estate_id)
    meter = meters.meter_get_for_actor(actor=actor, meter_id=meter_id)
    reading = meters.reading_record(actor=actor, meter=meter, read_on=body.read_on, value=body.value,
                                    note=body.note)
    return Status(201, _reading(reading, billed=False))


@router.post("/estates/{estate_id}/billing/meters/{meter_id}/readings/{reading_id}/correct", response=ReadingOut,
             summary="Correct a reading that is not billed yet")
def reading_correct(request, estate_id: int, meter_id: int, reading_id: int, body: CorrectIn):
    actor = api_actor(request, estate_id)
    reading = meters.reading_get_for_actor(actor=actor, reading_id=reading_id)
    if reading.meter_id != meter_id:
        raise NotFound()
    return _reading(meters.reading_correct(actor=actor, reading=reading, value=body.value, note=body.note),
                    billed=False)


@router.get("/estates/{estate_id}/billing/readings/template.xlsx", response={200: None},
            summary="Download the readings import template")
def readings_template(request, estate_id: int):
    _meter_reader(api_actor(request, estate_id), "import")
    response = HttpResponse(readings_import.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="gongzhi-readings-template.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@router.post("/estates/{estate_id}/billing/readings/import", response=ImportOut,
             summary="Import readings from .xlsx, all or nothing (finance, manager)")
def readings_import_upload(request, estate_id: int, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Multipart field ``file``. Any problem: 400 ``import_invalid`` with ``detail.errors`` (row, column, value,
    reason in Chinese and English) and nothing written. Importing the same file again records nothing twice
    (``unchanged`` counts the readings already there). ``dry_run=true`` checks without writing."""
    actor = _meter_reader(api_actor(request, estate_id), "import")
    data = file.read(Limits.from_settings().max_bytes + 1)
    report = readings_import.readings_import(actor=actor, filename=file.name or "upload.xlsx", data=data,
                                             dry_run=dry_run)
    if not report.ok:
        raise report.as_error()
    return report.as_dict()
