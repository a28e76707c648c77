"""import_registry: the one service that imports a registry file (.xlsx or .csv)."""

import hashlib

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from gongzhi.core.access import Actor
from gongzhi.core.audit import audit
from gongzhi.core.errors import Conflict, DomainError, Forbidden

from ..models import Estate
from ..policies import HousePolicy, PersonPolicy
from .planning import MODES, UPSERT, Planner
from .reading import Limits, read_file
from .report import ImportReport, Problems
from .writing import Writer


def can_import(actor: Actor) -> bool:
    return HousePolicy.can(actor, "import") and PersonPolicy.can(actor, "import")


def import_registry(*, actor: Actor, filename: str, data: bytes, dry_run: bool = False,
                    mode: str = UPSERT, size: int | None = None) -> ImportReport:
    """Import houses, residents and vehicles from an .xlsx workbook (any of the sheets 房屋 houses, 住户 residents,
    车辆 vehicles) or a .csv file (one kind, recognised from its headers).

    Every row is checked first, against the rules and against the registry; if any row is bad the report lists
    every problem and nothing is written. Otherwise everything is written in one transaction, each created or
    updated object with its audit entry. ``dry_run`` checks and counts without writing. ``mode`` "upsert" (the
    default) creates new rows and updates existing ones; "create" rejects rows that already exist.

    ``size`` is the size of the upload when ``data`` holds only its beginning (a caller that refuses to read
    more than settings.IMPORT_MAX_BYTES + 1 bytes), so that the report names the real size.
    """
    if not can_import(actor):
        raise Forbidden()
    if mode not in MODES:
        raise DomainError(_("Unknown import mode %(mode)s: use upsert or create."), code="invalid_mode",
                          mode=str(mode)[:20])
    filename = (filename or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    report = ImportReport(filename=filename, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run, mode=mode)
    problems = Problems()
    sheets = read_file(filename, data, problems, Limits.from_settings(), size=size)
    planner = None
    if not problems:
        planner = Planner(actor=actor, mode=mode, problems=problems)
        if dry_run:
            planner.load()
            planner.plan(sheets)
        else:
            try:
                with transaction.atomic():
                    # One import at a time per estate: the rows checked are the rows written over. FOR NO KEY
                    # UPDATE does not block other writers that only reference the estate.
                    Estate.objects.select_for_update(no_key=True).filter(pk=actor.estate.pk).first()
                    planner.load()
                    planner.plan(sheets)
                    if not problems:
                        Writer(actor=actor, plan=planner).write()
                        _tally(report, planner)
                        audit(user=actor.user, estate=actor.estate, action="registry.import", label=filename,
                              after={"file": filename, "sha256": report.sha256, "mode": mode, "rows": planner.rows,
                                     "counts": report.counts})
            except IntegrityError:
                raise Conflict(_("The registry changed while the file was being imported; nothing was written. "
                                 "Please import the file again."), code="import_conflict") from None
    report.error_total = problems.total
    report.errors = problems.sorted()
    if planner is not None:
        report.rows = planner.rows
    if problems:
        return report
    report.ok = True
    if dry_run:
        _tally(report, planner)
    return report


def _tally(report: ImportReport, planner: Planner) -> None:
    for kind, outcomes in planner.counts().items():
        report.tally(kind, outcomes)
