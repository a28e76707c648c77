"""What a reader sees of an entry: owners see the public fields; finance, the manager and the committee also see
the staff-only ones (a resident counterparty, the staff note, who exactly posted, staff-only documents). The API
and the pages both present entries through here, so the two can never disagree about what is hidden."""

from django.utils.translation import gettext as _

from gongzhi.accounts.choices import Role
from gongzhi.core.access import Actor

from .policies import LedgerPolicy


def role_label(code: str) -> str:
    if code == "system":
        return _("System")
    try:
        return str(Role(code).label)
    except ValueError:
        return code


def entry_data(entry, actor: Actor, *, private: bool | None = None) -> dict:
    """The entry as plain data for ``actor``. ``private`` may be passed in when presenting many entries."""
    if private is None:
        private = LedgerPolicy.can(actor, "view_private")
    lines = [{"line_no": ln.line_no, "account_code": ln.account.code, "account": ln.account.label,
              "debit": ln.debit, "credit": ln.credit} for ln in entry.lines.all()]
    documents = [{"id": ed.document.pk, "name": ed.document.name, "content_type": ed.document.content_type,
                  "size": ed.document.size, "sha256": ed.document.sha256, "staff_only": ed.document.staff_only}
                 for ed in entry.entry_documents.all() if private or not ed.document.staff_only]
    data = {
        "id": entry.pk, "seq": entry.seq, "date": entry.date, "posted_at": entry.posted_at, "kind": entry.kind,
        "kind_label": str(entry.get_kind_display()), "description": entry.description,
        "counterparty": entry.counterparty if (private or not entry.counterparty_private) else "",
        "counterparty_private": entry.counterparty_private, "reference": entry.reference,
        "reverses_seq": entry.reverses.seq if entry.reverses_id else None,
        "actor_role": entry.actor_role, "actor_role_label": role_label(entry.actor_role),
        "approval_id": entry.approval_id, "amount": sum((ln["debit"] for ln in lines), start=0),
        "lines": lines, "documents": documents, "prev_hash": entry.prev_hash, "hash": entry.hash,
        "private_digest": entry.private_digest,
    }
    if private:
        data.update(staff_note=entry.staff_note, actor_label=entry.actor_label)
    return data
