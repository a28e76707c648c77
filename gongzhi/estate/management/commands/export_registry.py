"""manage.py export_registry OUTPUT.xlsx --estate ID --as PHONE"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.errors import DomainError
from gongzhi.estate.importing import export_registry

from .import_registry import command_actor


class Command(BaseCommand):
    help = "Export an estate's registry (houses, residents, vehicles) to an .xlsx file that imports again unchanged."

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path)
        parser.add_argument("--estate", type=int, required=True, help="The estate's id.")
        parser.add_argument("--as", dest="phone", required=True,
                            help="The mobile number of the staff member exporting (manager or customer service).")

    def handle(self, *args, output: Path, estate: int, phone: str, **options):
        actor = command_actor(estate, phone)
        try:
            content = export_registry(actor=actor)
        except DomainError as error:
            raise CommandError(error.text()) from None
        output.write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"{output}: {len(content) // 1024} KB written."))
