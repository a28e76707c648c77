"""An owner follows the money: from this year's cleaning total to its entries, into one entry and its invoice; reads
the annual disclosure and downloads its PDF; re-checks the chain on the verify page, downloads a closed month and
verifies it offline with the documented tool. Then someone edits a posted line behind the database's back, and
``verify_ledger`` names the entry. In a real browser (headless Chromium)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import MembershipFactory, UserFactory
from gongzhi.ledger.demo import seed_ledger
from gongzhi.ledger.models import Checkpoint, JournalLine

from .test_walkthrough import PHONE, fits_the_screen, sign_in

pytestmark = pytest.mark.browser
TOOL = Path(settings.BASE_DIR) / "tools" / "verify_ledger.py"


def _books(world, tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path
    for role, phone in (("finance", "13900000007"), ("committee_chair", "13900000008"), ("manager", "13900000009")):
        MembershipFactory(estate=world.estate, role=role, user=UserFactory(phone=phone))
    assert seed_ledger(estate=world.estate) > 100


def test_an_owner_follows_the_money_and_verifies_it(live_server, world, open_page, screenshot, tmp_path, settings):
    _books(world, tmp_path, settings)
    estate = world.estate.pk
    year = timezone.localdate().year
    phone = open_page(**PHONE)
    sign_in(phone, live_server.url, "13812341234", world.password)

    # given the public ledger, when 王芳 opens this year's cleaning total
    phone.goto(f"{live_server.url}/e/{estate}/ledger/")
    expect(phone.locator("#public-key")).to_be_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "ledger-overview-375", full_page=True)
    phone.locator("a[href*='account=5002']").first.click()
    expect(phone).to_have_url(re.compile(rf"/e/{estate}/ledger/entries/\?"))
    # then she sees its entries, and opens one: its lines and its invoice are there
    phone.locator(f"a[href^='/e/{estate}/ledger/entries/']").first.click()
    expect(phone).to_have_url(re.compile(rf"/e/{estate}/ledger/entries/\d+/$"))
    invoice = phone.locator(f"a[href^='/e/{estate}/ledger/documents/']").first
    expect(invoice).to_be_visible()
    with phone.expect_download() as download:
        invoice.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    screenshot(phone, "ledger-entry-375", full_page=True)

    # when she reads the annual disclosure, the checkpoint is printed and the PDF downloads
    phone.goto(f"{live_server.url}/e/{estate}/ledger/disclosure/?year={year}")
    expect(phone.locator("#fund-h")).to_be_visible()
    with phone.expect_download() as pdf:
        phone.locator("a[href*='/ledger/disclosure/pdf/']").first.click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF-")

    # when she verifies the chain on the verify page, it is intact
    phone.goto(f"{live_server.url}/e/{estate}/ledger/verify/")
    phone.locator("form[action$='/ledger/verify/run/'] button").click()
    expect(phone.locator("[data-result=ok]")).to_be_visible()
    screenshot(phone, "ledger-verify-375", full_page=True)
    # and downloads the latest closed month and verifies it offline with the tool
    last = Checkpoint.objects.filter(estate=world.estate).order_by("-period_start").first()
    link = phone.locator(f"a[href$='/ledger/export/{last.period_start.year}/{last.period_start.month}/']")
    with phone.expect_download() as export:
        link.click()
    path = tmp_path / "export.json"
    path.write_bytes(Path(export.value.path()).read_bytes())
    assert json.loads(path.read_text())["checkpoint"]["head_hash"] == last.head_hash
    key = phone.locator("[data-public-key]").inner_text().strip()
    ok = subprocess.run([sys.executable, str(TOOL), str(path), "--public-key", key], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # when someone with database rights edits a posted line behind the triggers' back
    line = JournalLine.objects.filter(estate=world.estate, entry__kind="expense").order_by("pk").first()
    _edit_bypassing_triggers(line.pk)
    # then verify_ledger fails and names the entry
    with pytest.raises(CommandError) as failed:
        call_command("verify_ledger", "--estate", str(estate), stdout=(out := _Buffer()))
    assert failed.value.returncode == 1
    assert f"#{line.entry.seq}" in out.text


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def _edit_bypassing_triggers(line_id: int) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER ledger_journalline_append_only")
            cursor.execute("UPDATE ledger_journalline SET debit = debit + 1 WHERE id = %s AND debit > 0", [line_id])
            cursor.execute("UPDATE ledger_journalline SET credit = credit + 1 WHERE id = %s AND credit > 0", [line_id])
            cursor.execute("ALTER TABLE ledger_journalline ENABLE TRIGGER ledger_journalline_append_only")
        else:
            cursor.execute("DROP TRIGGER ledger_journalline_no_update")
            cursor.execute("UPDATE ledger_journalline SET debit = debit + 1 WHERE id = %s AND debit > 0", [line_id])
            cursor.execute("UPDATE ledger_journalline SET credit = credit + 1 WHERE id = %s AND credit > 0", [line_id])
            cursor.execute("CREATE TRIGGER ledger_journalline_no_update BEFORE UPDATE ON ledger_journalline "
                           "BEGIN SELECT RAISE(ABORT, 'ledger_journalline is append-only'); END;")
