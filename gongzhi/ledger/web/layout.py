"""Which layout a ledger page uses: the ledger is read both by owners (the mobile portal) and by finance, the
manager and the committee (the console). Templates extend ``{% extends base %}`` with ``base`` from here."""

from gongzhi.core.access import Actor
from gongzhi.estate.policies import RegistryPolicy

CONSOLE = "estate/console_base.html"
PORTAL = "estate/portal_base.html"


def base_for(actor: Actor) -> str:
    return CONSOLE if RegistryPolicy.can(actor, "view") else PORTAL
