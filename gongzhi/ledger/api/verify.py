"""Verification over the API: run the chain verification, the signed checkpoints, closing a month, a closed month's
export for the offline tool, and the installation's public key.

Errors are the one error shape: 403 the role may not, 404 missing or another estate's (also a month that is not
closed, for the export), 409 the state forbids it (``period_out_of_order``, ``period_not_ended``), 429 verification
asked again within 10 s."""

import datetime

from ninja import Router, Schema

from gongzhi.core.api import api_actor

from .. import export, services, verify

router = Router(tags=["ledger"])


class FailureOut(Schema):
    code: str
    message: str
    seq: int | None
    entry_id: int | None
    period: str


class VerifyOut(Schema):
    ok: bool
    estate_id: int
    entries: int
    lines: int
    checkpoints: int
    head_seq: int
    head_hash: str
    seconds: float
    method: str
    failure_count: int
    first: FailureOut | None
    failures: list[FailureOut]
    summary: str


class VerifyCheckpointOut(Schema):
    id: int
    period: str
    period_start: datetime.date
    period_end: datetime.date
    head_seq: int
    head_hash: str
    signed_at: datetime.datetime
    public_key: str
    signature: str
    signature_valid: bool


class CheckpointList(Schema):
    items: list[VerifyCheckpointOut]


class CloseIn(Schema):
    year: int
    month: int


class PublicKeyOut(Schema):
    public_key: str
    fingerprint: str
    trusted_keys: list[str]


@router.post("/estates/{estate_id}/ledger/verify", response=VerifyOut, summary="Verify the ledger's chain now")
def verify_now(request, estate_id: int):
    """Recompute every entry's hash, the links, the balances, the chain head and every checkpoint's signature from
    the stored rows; names the first failure. At most once per 10 s per user (429 otherwise)."""
    actor = api_actor(request, estate_id)
    return verify.verify_for_actor(actor=actor).as_dict()


@router.get("/estates/{estate_id}/ledger/checkpoints", response=CheckpointList,
            summary="The signed checkpoints of the closed months")
def checkpoints(request, estate_id: int):
    """Every closed month's checkpoint, newest first, with whether its signature is valid under a trusted key."""
    actor = api_actor(request, estate_id)
    return {"items": export.checkpoint_rows(actor=actor)}


@router.post("/estates/{estate_id}/ledger/periods/close", response=VerifyCheckpointOut, summary="Close a month")
def close_period(request, estate_id: int, payload: CloseIn):
    """Sign the chain head as it stands and refuse entries dated in the month (or before) from then on. Months
    close in order and only once ended; closing a closed month returns its checkpoint (finance, manager)."""
    actor = api_actor(request, estate_id)
    return export.checkpoint_row(services.period_close(actor=actor, year=payload.year, month=payload.month))


@router.get("/estates/{estate_id}/ledger/export/{year}/{month}", summary="A closed month's entries for offline "
            "verification", response={200: dict})
def export_period(request, estate_id: int, year: int, month: int):
    """The JSON file ``tools/verify_ledger.py`` checks: the month's checkpoint, its anchor and the entries between
    them with their public fields. 404 for a month that is not closed."""
    actor = api_actor(request, estate_id)
    return export.export_response(export.period_export(actor=actor, year=year, month=month))


@router.get("/estates/{estate_id}/ledger/public-key", response=PublicKeyOut,
            summary="The public key that signs the checkpoints")
def public_key(request, estate_id: int):
    """The installation's Ed25519 public key (hex) and a short fingerprint; older keys still trusted after a
    rotation. Owners compare it with the key on the notice board."""
    actor = api_actor(request, estate_id)
    return export.public_key_info(actor=actor)
