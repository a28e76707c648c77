"""The ledger's pages, one module per area: the owners' public ledger and disclosure (public), finance's books and
approvals (books), the maintenance fund (fund), checkpoints, verification and downloads (verify)."""

from . import books, fund, public, verify

app_name = "ledger"
urlpatterns = [*public.urlpatterns, *books.urlpatterns, *fund.urlpatterns, *verify.urlpatterns]
