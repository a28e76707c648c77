"""manage.py import_registry FILE --estate ID --as PHONE [--dry-run] [--mode create]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from gongzhi.accounts.models import User
from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import DomainError
from gongzhi.estate.importing import import_registry
from gongzhi.estate.importing.planning import CREATE, UPSERT
from gongzhi.estate.importing.reading import Limits


def command_actor(estate_id: int, phone: str):
    """The actor a command runs as: a user who is a member of the estate (as on the web)."""
    user = User.objects.filter(phone=phone).first()
    if user is None:
        raise CommandError(f"no user with phone {phone}")
    try:
        return resolve_actor(user, estate_id)
    except DomainError:
        raise CommandError(f"user {phone} is not a member of estate {estate_id} (or it does not exist)") from None


class Command(BaseCommand):
    help = ("Import houses, residents and vehicles from an .xlsx or .csv file. Every row is checked first; "
            "nothing is written unless every row is valid. Exits non-zero with every bad row listed.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--estate", type=int, required=True, help="The estate's id.")
        parser.add_argument("--as", dest="phone", required=True,
                            help="The mobile number of the staff member importing (manager or customer service).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count, write nothing.")
        parser.add_argument("--mode", choices=[UPSERT, CREATE], default=UPSERT,
                            help="upsert (default): create and update; create: reject rows that already exist.")
        parser.add_argument("--language", default=None, help="zh-hans or en (default: the site's language).")

    def handle(self, *args, file: Path, estate: int, phone: str, dry_run: bool, mode: str, language, **options):
        actor = command_actor(estate, phone)
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        size = file.stat().st_size
        with file.open("rb") as stream:
            data = stream.read(Limits.from_settings().max_bytes + 1)
        with translation.override(language or translation.get_language()):
            try:
                report = import_registry(actor=actor, filename=file.name, data=data, dry_run=dry_run, mode=mode,
                                         size=size)
            except DomainError as error:
                raise CommandError(error.text()) from None
            if not report.ok:
                for error in report.errors:
                    self.stderr.write(error.describe())
                if report.error_total > len(report.errors):
                    self.stderr.write(f"… and {report.error_total - len(report.errors)} more problems")
                raise CommandError(f"{report.error_total} problems found in {file.name}; nothing was written.")
        for kind, outcome in report.counts.items():
            self.stdout.write(f"{kind}: {outcome['created']} created, {outcome['updated']} updated, "
                              f"{outcome['unchanged']} unchanged")
        verb = "checked (dry run, nothing written)" if dry_run else "imported"
        self.stdout.write(self.style.SUCCESS(f"{file.name}: {report.rows} rows {verb}."))
