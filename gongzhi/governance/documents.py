"""Scans a vote rests on (signed written ballots, proxies' written authorisations), and the result as a PDF.

Uploads get the notices' attachment checks (gongzhi.notices.attachments.check_upload: read with a size limit
through gongzhi.core.uploads.read_limited; PDFs without active content, or images re-encoded without metadata).
The stored file is named by its SHA-256. Scans carry signatures: they are served only through
``document_response`` to the organisers (VotePolicy "view_scans"), never from /media/."""

import hashlib
from io import BytesIO

from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.access import Actor
from gongzhi.core.errors import DomainError, Forbidden, NotFound

from .models import VoteDocument
from .policies import VotePolicy

FONT = "STSong-Light"


def document_store(*, actor: Actor, upload, name: str = "") -> VoteDocument:
    """Keep one uploaded scan (checked by its content) as a VoteDocument of the actor's estate. Call it inside the
    service's transaction; the caller checks who may upload."""
    from gongzhi.notices.attachments import check_upload, clean_filename

    if upload is None:
        raise DomainError(_("A scan is required."), code="scan_required")
    checked = check_upload(upload)
    digest = hashlib.sha256(checked.data).hexdigest()
    document = VoteDocument(estate=actor.estate, content_type=checked.content_type, size=len(checked.data),
                            sha256=digest, uploaded_by=actor.user, uploaded_at=timezone.now(),
                            name=clean_filename(name or getattr(upload, "name", ""), checked.extension)[:120])
    document.file.save(f"{digest}.{checked.extension}", ContentFile(checked.data), save=False)
    document.save()
    return document


def document_get(*, actor: Actor, document_id) -> VoteDocument:
    """A scan of the actor's estate, for the organisers only; 404 alike for missing and another estate's."""
    try:
        pk = int(document_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    document = VoteDocument.objects.filter(estate=actor.estate, pk=pk).first()
    if document is None:
        raise NotFound()
    if not VotePolicy.can(actor, "view_scans"):
        raise Forbidden()
    return document


def document_response(*, actor: Actor, document_id) -> FileResponse:
    """The scan, access-checked: images inline, PDFs as a download, never able to run script in our origin."""
    document = document_get(actor=actor, document_id=document_id)
    inline = document.content_type.startswith("image/")
    response = FileResponse(document.file.open("rb"), content_type=document.content_type,
                            as_attachment=not inline, filename=document.name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def result_pdf(vote, result: dict) -> bytes:
    """The published result as a plain PDF (no active content): the vote, the rule set, each item's outcome with
    its figures, and the digests that tie it to the published roll and ballots. It is the decision document a
    maintenance-fund project's approval rests on."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from .votes import _outcome_lines

    font = _font()
    styles = getSampleStyleSheet()
    body, title = styles["BodyText"], styles["Title"]
    body.fontName = title.fontName = font
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=vote.title, invariant=1)
    story = [Paragraph(escape(vote.title), title),
             Paragraph(escape(_("Rule set: %(rule_set)s") % {"rule_set": vote.rule_set}), body),
             Paragraph(escape(_("Total voting area %(area)s m², headcount %(heads)s") % {
                 "area": result.get("total_area"), "heads": result.get("total_heads")}), body), Spacer(1, 8)]
    story += [Paragraph(escape(line), body) for line in _outcome_lines(vote, result)]
    story += [Spacer(1, 8), Paragraph(escape(_("Roll SHA-256: %(sha)s") % {"sha": vote.roll_sha256}), body),
              Paragraph(escape(_("Result SHA-256: %(sha)s") % {"sha": vote.result_sha256}), body)]
    doc.build(story)
    return buffer.getvalue()
