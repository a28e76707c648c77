"""manage.py seed_demo: load the demo company, its two estates and one login per role; print the logins.

Idempotent: an estate that already exists is left as it is, so a second run changes nothing (except bringing the
demo logins' password in line with DEMO_PASSWORD when that changed).
"""

import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from gongzhi.estate import demo


class Command(BaseCommand):
    help = "Load the demo estates (明强小区, 阳光家园) and one login per role, then print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0,
                            help="Shrink the estates (0 < scale <= 1; tests use 0.05). Default: full size.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the generated registry.")
        parser.add_argument("--base-url", default=None,
                            help="Where the server will listen, for the login table (default "
                                 "http://127.0.0.1:$PORT).")

    def handle(self, *args, scale: float, seed: int, base_url: str | None, **options):
        if not 0 < scale <= 1:
            raise CommandError("--scale must be greater than 0 and at most 1")
        started = time.monotonic()
        try:
            result = demo.seed(scale=scale, seed=seed, base_url=base_url)
        except demo.DemoPasswordError as exc:
            raise CommandError(f"DEMO_PASSWORD is not accepted by the password rules: {exc}") from None
        set_up = _set_up_apps()
        elapsed = time.monotonic() - started

        out = self.stdout
        if result.created_estates:
            for name, counts in result.counts.items():
                with translation.override("en"):
                    summary = ", ".join(f"{n} {apps.get_model('estate', model)._meta.verbose_name_plural}"
                                        for model, n in counts.items())
                out.write(f"Created {name}: {summary}")
        else:
            out.write("The demo estates already exist; nothing was changed in them.")
        for change, n in result.changes.items():
            out.write(f"  {n} {change}")
        for what, n in set_up.items():
            if n:
                out.write(f"  {n} {what} created")
        out.write(f"Demo ready in {elapsed:.1f} s.\n")

        rows = [("role", "phone", "password", "name", "estate", "where to go")]
        rows += [(f"{lg['role']} ({lg['label']})", lg["phone"], result.password, lg["name"], lg["estate"],
                  lg["url"]) for lg in result.logins]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        out.write(self.style.MIGRATE_HEADING("Demo logins 演示账号 (demo only — never use these on a real site)"))
        for i, row in enumerate(rows):
            line = "  ".join(cell + " " * (widths[k] - _width(cell)) for k, cell in enumerate(row)).rstrip()
            out.write(self.style.MIGRATE_LABEL(line) if i == 0 else line)
        out.write(f"\nPassword from {result.password_source}. Set DEMO_PASSWORD to choose your own; "
                  "the next `make demo` applies it to these logins.")


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _set_up_apps() -> dict[str, int]:
    """Each demo estate, through its manager: the default ticket categories (named in Chinese), dispatch (technician
    profiles, rota, service calendar and public holidays), a few notices and tickets at every stage, and a year of
    books (gongzhi.ledger.demo) with a year of bills and payments (gongzhi.billing.demo). Each step adds
    only what is missing, so a second run creates nothing."""
    from gongzhi.accounts.models import Membership
    from gongzhi.billing.demo import seed_billing
    from gongzhi.core.access import resolve_actor
    from gongzhi.governance.demo_council import seed_council
    from gongzhi.governance.demo_votes import seed_votes
    from gongzhi.ledger.demo import seed_ledger
    from gongzhi.notices.demo import seed_notices
    from gongzhi.surveys.demo import seed_surveys
    from gongzhi.tickets.demo import seed_dispatch, seed_tickets
    from gongzhi.tickets.services import categories_ensure_defaults

    made = {"ticket categories": 0, "technician profiles": 0, "duty shifts": 0, "calendar days": 0, "notices": 0,
            "tickets": 0, "ledger entries": 0, "owners' votes": 0}
    managers = Membership.objects.filter(role="manager", ended_at__isnull=True,
                                         estate__company__name=demo.COMPANY_NAME,
                                         estate__name__in=[plan.name for plan in demo.PLANS]).select_related("user")
    seen = set()
    with translation.override("zh-hans"):
        for membership in managers.order_by("estate_id", "pk"):
            if membership.estate_id in seen:
                continue
            seen.add(membership.estate_id)
            actor = resolve_actor(membership.user, membership.estate_id)
            made["ticket categories"] += len(categories_ensure_defaults(actor=actor))
            dispatch = seed_dispatch(actor=actor)
            made["technician profiles"] += dispatch["profiles"]
            made["duty shifts"] += dispatch["shifts"]
            made["calendar days"] += dispatch["days"]
            made["notices"] += len(seed_notices(actor=actor))
            made["tickets"] += seed_tickets(estate=actor.estate)
            made["ledger entries"] += seed_ledger(estate=actor.estate, fees=seed_billing)
            # After the ledger: the maintenance-fund vote proposes its own project through the ledger's services.
            now = timezone.now()
            made["owners' votes"] += sum(1 for houses in seed_votes(actor.estate, now=now).values() if houses)
            seed_council(actor.estate, now=now)
            seed_surveys(actor.estate, now=now)
    return made
