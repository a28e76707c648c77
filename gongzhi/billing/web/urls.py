"""Billing's pages, one module per area: fee items, rules and meters (rules), bill runs and bills (runs), the cash
desk, receipts and refunds (desk), the resident's bills and online payment (portal), arrears, reminders, statements
and the collection rate (arrears)."""

from . import arrears, desk, portal, rules, runs

app_name = "billing"
urlpatterns = [*rules.urlpatterns, *runs.urlpatterns, *desk.urlpatterns, *portal.urlpatterns, *arrears.urlpatterns]
