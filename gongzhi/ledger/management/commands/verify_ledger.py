"""manage.py verify_ledger [--estate ID] [--files]

Recomputes the hash chain of one estate's ledger (or of every estate's), checks the signed checkpoints, and names
the first entry or checkpoint that does not match. Exit code 0 when everything verifies, 1 otherwise (for cron and
monitoring: a non-zero exit is an alarm, someone changed the books below the application).
"""

from django.core.management.base import BaseCommand, CommandError

from gongzhi.estate.models import Estate
from gongzhi.ledger.verify import ledger_verify


class Command(BaseCommand):
    help = ("Verify the hash-chained ledger: every entry's hash, the links, the balances, the chain head and the "
            "signed period checkpoints. Exit code 1 when something does not match.")

    def add_arguments(self, parser):
        parser.add_argument("--estate", type=int, help="The estate's id (default: every estate).")
        parser.add_argument("--files", action="store_true",
                            help="Also rehash every stored document file against its recorded SHA-256.")

    def handle(self, *args, estate: int | None = None, files: bool = False, **options):
        estates = Estate.objects.order_by("id")
        if estate is not None:
            estates = estates.filter(pk=estate)
            if not estates.exists():
                raise CommandError(f"No estate {estate}.")
        failed = []
        for item in estates:
            result = ledger_verify(estate=item, check_files=files)
            files_note = f", {result.files_checked} files rehashed" if result.files_checked is not None else ""
            if result.ok:
                self.stdout.write(self.style.SUCCESS(
                    f"{item.name} (#{item.pk}): OK. {result.entries:,} entries ({result.lines:,} lines) through "
                    f"#{result.head_seq}, {result.checkpoints} checkpoints{files_note}; head "
                    f"{result.head_hash[:16]}…; {result.seconds:.2f} s."))
                continue
            failed.append(item)
            self.stdout.write(self.style.ERROR(
                f"{item.name} (#{item.pk}): DOES NOT VERIFY. {result.failure_count} problem(s) in "
                f"{result.entries:,} entries and {result.checkpoints} checkpoints{files_note}; the first:"))
            for failure in result.failures:
                self.stdout.write(f"  {failure.message}")
            if result.failure_count > len(result.failures):
                self.stdout.write(f"  … and {result.failure_count - len(result.failures)} more.")
        if failed:
            names = ", ".join(f"{e.name} (#{e.pk})" for e in failed)
            raise CommandError(f"The ledger of {names} does not verify.", returncode=1)
