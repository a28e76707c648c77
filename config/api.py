"""The REST API at /api/v1: every app's router composed under one NinjaAPI with one error shape."""

from gongzhi.accounts.api.auth import API_AUTH
from gongzhi.accounts.api.router import router as accounts_router
from gongzhi.billing.api import arrears as billing_arrears
from gongzhi.billing.api import bills as billing_bills
from gongzhi.billing.api import online as billing_online
from gongzhi.billing.api import payments as billing_payments
from gongzhi.billing.api import rules as billing_rules
from gongzhi.core.api import DocumentedAPI, install_error_handlers
from gongzhi.core.api.router import router as audit_router
from gongzhi.estate.api.importing import router as import_router
from gongzhi.estate.api.router import router as estate_router
from gongzhi.governance.api import assembly as governance_assembly
from gongzhi.governance.api import council as governance_council
from gongzhi.governance.api import votes as governance_votes
from gongzhi.ledger.api import books as ledger_books
from gongzhi.ledger.api import fund as ledger_fund
from gongzhi.ledger.api import public as ledger_public
from gongzhi.ledger.api import verify as ledger_verify
from gongzhi.notices.api.router import router as notices_router
from gongzhi.notifications.api.router import router as notifications_router
from gongzhi.surveys.api import evaluation as surveys_evaluation
from gongzhi.surveys.api import surveys as surveys_api
from gongzhi.tickets.api.dispatch import router as dispatch_router
from gongzhi.tickets.api.feedback import router as feedback_router
from gongzhi.tickets.api.metrics import router as ticket_metrics_router
from gongzhi.tickets.api.router import router as tickets_router

api = DocumentedAPI(
    title="Gongzhi 共治 API",
    version="1",
    urls_namespace="api",
    auth=API_AUTH,
    description=(
        "The REST API of Gongzhi, the platform for smart management and co-governance of residential estates.\n\n"
        "Authenticate with a bearer token (`POST /api/v1/auth/token` with your mobile number and password, or "
        "create one in the portal) or with the browser session. Every estate-scoped path is under "
        "`/estates/{estate_id}/`: a caller who is not a member of that estate gets 404, exactly as for an estate "
        "that does not exist.\n\n"
        "Errors always have the shape `{\"code\", \"message\", \"messages\": {\"zh-hans\", \"en\"}, \"detail\"}`; "
        "`message` is in the language of `Accept-Language` (zh-hans by default). Long lists use cursor "
        "pagination: pass `next_cursor` back as `cursor`."
    ),
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/", estate_router)
api.add_router("/", import_router)
api.add_router("/", audit_router)
api.add_router("/", tickets_router)
api.add_router("/", dispatch_router)
api.add_router("/", feedback_router)
api.add_router("/", ticket_metrics_router)
api.add_router("/", notifications_router)
api.add_router("/", notices_router)
api.add_router("/", ledger_public.router)
api.add_router("/", ledger_books.router)
api.add_router("/", ledger_fund.router)
api.add_router("/", ledger_verify.router)
api.add_router("/", billing_rules.router)
api.add_router("/", billing_bills.router)
api.add_router("/", billing_payments.router)
api.add_router("/", billing_online.router)
api.add_router("/", billing_arrears.router)
api.add_router("/", governance_votes.router)
api.add_router("/", governance_assembly.router)
api.add_router("/", governance_council.router)
api.add_router("/", surveys_api.router)
api.add_router("/", surveys_evaluation.router)
