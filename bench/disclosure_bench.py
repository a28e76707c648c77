"""Disclosure benchmark (issue 5, "Speed"): the annual disclosure report of a 2,000-house estate with a year of
entries, in under 2 s, on SQLite and PostgreSQL; its PDF render timed next to it.

For each database (SQLite file in WAL mode, PostgreSQL database ``gz_disclosure_bench``) it
  1. creates a fresh database and, in a child process, an estate of 2,000 houses (10 buildings × 2 units × 25
     floors × 4) with their maintenance-fund sub-accounts and a year (last year) of journal entries, bulk-inserted
     with valid chain hashes (``gongzhi.ledger.chain``): every house's initial fund deposit, 12 monthly fee
     payments per house (a resident each: private counterparty), monthly fee bills and late payments on 1122 and
     prepayments on 2201, 50 expenses a month over the expense categories, public revenue from four sources with
     its costs and two uses, half-yearly interest credited to every house, one approved project split over all
     2,000 houses by area and one emergency repair split over 200; then closes the twelve months (signed
     checkpoints) so the report carries its checkpoint;
  2. in a child: ``disclosure_report(year=Y)`` (with the per-house statement), ``render_pdf`` of it, and the
     disclosure page through the Django test client (the whole request), each the median of 3 runs after one
     warm-up, the first (cold) run reported too.

Target: the report < 2 s (the PDF is reported against the same figure). Run:
``.venv/bin/python bench/disclosure_bench.py [sqlite|postgresql]``. ``BENCH_DISCLOSURE_HOUSES`` changes the number
of houses (2,000). Prints a markdown table; bench/README.md is left to the lead.
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# A database of its own, so that this never collides with another benchmark's gz_bench.
os.environ.setdefault("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gz_disclosure_bench")

from common import (
    Database,
    child_env,
    database,
    database_kinds,
    last_json_line,
    machine,
    run_child,
    setup_django,
)

HOUSES = int(os.environ.get("BENCH_DISCLOSURE_HOUSES", "2000"))
TARGET_SECONDS = 2.0
CHUNK = 5000
RUNS = 3


# --- the data set (child process) -----------------------------------------------------------------------------------
def _registry():
    from decimal import Decimal

    from gongzhi.estate.models import Building, Company, Estate, House, Unit

    company = Company.objects.create(name="明强物业")
    estate = Estate.objects.create(company=company, name="明强小区", address="北京市朝阳区明强路1号",
                                   city_code="110105")
    per_building = 2 * 25 * 4
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=str(b), sort_key=b, floors=25) for b in range(1, -(-HOUSES // per_building) + 1)])
    units = Unit.objects.bulk_create([Unit(estate=estate, building=b, name=str(u), sort_key=u, floors=25,
                                           has_elevator=True) for b in buildings for u in (1, 2)])
    houses = []
    for unit in units:
        for floor in range(1, 26):
            for door in range(1, 5):
                if len(houses) < HOUSES:
                    i = len(houses)
                    houses.append(House(estate=estate, building=unit.building, unit=unit, number=f"{floor}{door:02d}",
                                        floor=floor, area_m2=Decimal(60 + (i * 37) % 100) + Decimal("0.45"),
                                        status="occupied"))
    return estate, House.objects.bulk_create(houses, batch_size=CHUNK)


class Journal:
    """Entries appended in order with their chain hashes, written in bulk at the end."""

    def __init__(self, estate, year: int):
        from gongzhi.ledger import chain

        self.chain, self.estate, self.year = chain, estate, year
        self.entries: list[tuple] = []  # (fields, lines)
        self.head = chain.GENESIS
        self.posted_at = datetime.datetime(year + 1, 1, 2, 1, 0, tzinfo=datetime.UTC)

    def post(self, date, kind, description, lines, *, counterparty="", private=False, reference=""):
        """``lines``: [(account, debit, credit)] with Decimal amounts."""
        c = self.chain
        seq = len(self.entries) + 1
        nonce = f"{seq:032x}"
        digest = c.private_digest(nonce=nonce, counterparty=counterparty, staff_note="", actor_id=None,
                                  actor_label="system", private_documents=[])
        body = c.body(estate_id=self.estate.pk, seq=seq, date=date, posted_at=c.instant(self.posted_at), kind=kind,
                      description=description, counterparty="" if private else counterparty, reference=reference,
                      reverses_seq=None, actor_role="system", approval_id=None, private_digest=digest,
                      public_documents=[], lines=[c.line_text(a.code, c.money(d), c.money(cr)) for a, d, cr in lines])
        entry_hash = c.link(self.head, body)
        self.entries.append(({"seq": seq, "date": date, "kind": kind, "description": description,
                              "counterparty": counterparty, "counterparty_private": private, "reference": reference,
                              "nonce": nonce, "private_digest": digest, "prev_hash": self.head, "hash": entry_hash},
                             lines))
        self.head = entry_hash
        return seq

    def write(self) -> dict[int, int]:
        from gongzhi.ledger.models import JournalEntry, JournalLine, LedgerHead

        ids: dict[int, int] = {}
        for i in range(0, len(self.entries), CHUNK):
            chunk = self.entries[i:i + CHUNK]
            made = JournalEntry.objects.bulk_create(
                [JournalEntry(estate=self.estate, posted_at=self.posted_at, actor_role="system",
                              actor_label="system", **fields) for fields, _lines in chunk])
            ids.update({e.seq: e.pk for e in made})
        lines = (JournalLine(estate=self.estate, entry_id=ids[fields["seq"]], line_no=n, account=a, debit=d, credit=c)
                 for fields, entry_lines in self.entries for n, (a, d, c) in enumerate(entry_lines, start=1))
        batch: list = []
        for line in lines:
            batch.append(line)
            if len(batch) == CHUNK:
                JournalLine.objects.bulk_create(batch)
                batch = []
        JournalLine.objects.bulk_create(batch)
        LedgerHead.objects.update_or_create(estate=self.estate, defaults={"seq": len(self.entries), "hash": self.head})
        return ids


def prepare() -> dict:
    setup_django()
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from gongzhi.accounts.models import Membership
    from gongzhi.core.access import resolve_actor
    from gongzhi.ledger import services
    from gongzhi.ledger.chart import accounts_by_code, house_fund_accounts
    from gongzhi.ledger.choices import ApprovalDecision, ApprovalKind, EmergencyKind
    from gongzhi.ledger.choices import EntryKind as K
    from gongzhi.ledger.choices import FundProjectStatus as S
    from gongzhi.ledger.models import Approval, FundProject, FundProjectHouse, FundProjectPayment
    from gongzhi.ledger.split import split_by_weight

    began = time.perf_counter()
    year = datetime.date.today().year - 1
    estate, houses = _registry()
    finance = get_user_model().objects.create(phone="13900000001", name="财务", password=make_password(None))
    Membership.objects.create(user=finance, estate=estate, role="finance")
    acc = accounts_by_code(estate, ["1002", "1122", "1201", "2201", "3001", "4001", "4004", "4101", "4102", "4103",
                                    "4104", "5001", "5002", "5003", "5004", "5005", "5006", "5007", "5008", "5101"])
    fund = house_fund_accounts(estate, houses)
    j = Journal(estate, year)
    D = Decimal
    for i, h in enumerate(houses):  # initial deposits: area × 150 yuan/m² (5 % of 3,000 yuan/m² construction cost)
        amount = (h.area_m2 * 150).quantize(D("0.01"))
        j.post(datetime.date(year, 1, 2 + i % 20), K.FUND_DEPOSIT, "首期维修资金",
               [(acc["1201"], amount, D(0)), (fund[h.pk], D(0), amount)], counterparty=f"业主 {h.pk}", private=True)
    for month in range(1, 13):
        bill_day = datetime.date(year, month, 1)
        for b in range(10):  # the month's bills, one per building
            j.post(bill_day, K.FEE_BILL, f"{month}月物业费账单 {b + 1}号楼", [(acc["1122"], D("5000"), D(0)),
                                                                         (acc["4001"], D(0), D("5000"))])
        for i, h in enumerate(houses):  # every house pays its month's fee
            fee = (h.area_m2 * D("2.50")).quantize(D("0.01"))
            j.post(datetime.date(year, month, 1 + i % 27), K.FEE_PAYMENT, f"{month}月物业费",
                   [(acc["1002"], fee, D(0)), (acc["4001"], D(0), fee)], counterparty=f"业主 {h.pk}", private=True)
        for i in range(10):
            j.post(datetime.date(year, month, 10 + i), K.FEE_PAYMENT, "补缴欠费",
                   [(acc["1002"], D("4500"), D(0)), (acc["1122"], D(0), D("4500"))])
        j.post(datetime.date(year, month, 28), K.FEE_PAYMENT, "预缴物业费", [(acc["1002"], D("800"), D(0)),
                                                                          (acc["2201"], D(0), D("800"))])
        for i in range(50):
            code = f"500{1 + i % 8}"
            j.post(datetime.date(year, month, 1 + i % 28), K.EXPENSE, f"支出 {code} #{i}",
                   [(acc[code], D("1234.56"), D(0)), (acc["1002"], D(0), D("1234.56"))], counterparty="服务商")
        for i, code in enumerate(["4101", "4102", "4103", "4104"] * 3):
            j.post(datetime.date(year, month, 5 + i), K.PUBLIC_REVENUE, f"公共收益 {code}",
                   [(acc["1002"], D("3000"), D(0)), (acc[code], D(0), D("3000"))], counterparty="租户公司")
        j.post(datetime.date(year, month, 25), K.PUBLIC_REVENUE_COST, "公共收益成本",
               [(acc["5101"], D("900"), D(0)), (acc["1002"], D(0), D("900"))])
    for month in (3, 9):
        j.post(datetime.date(year, month, 20), K.PUBLIC_REVENUE_USE, "业主大会决定使用公共收益",
               [(acc["3001"], D("20000"), D(0)), (acc["1002"], D(0), D("20000"))])
    for month in (6, 12):  # interest credited to every house
        shares = split_by_weight(D("30000.00"), [(h.pk, h.area_m2) for h in houses])
        j.post(datetime.date(year, month, 30), K.FUND_INTEREST, "维修资金利息",
               [(acc["1201"], D("30000.00"), D(0)), *[(fund[pk], D(0), s) for pk, s in shares.items()]])
    roof_shares = split_by_weight(D("888888.88"), [(h.pk, h.area_m2) for h in houses])
    roof_seq = j.post(datetime.date(year, 8, 15), K.FUND_USE, "全体屋面防水",
                      [*[(fund[pk], s, D(0)) for pk, s in roof_shares.items()], (acc["1201"], D(0), D("888888.88"))])
    lift = houses[:200]
    lift_shares = split_by_weight(D("56000.00"), [(h.pk, h.area_m2) for h in lift])
    lift_seq = j.post(datetime.date(year, 10, 3), K.FUND_USE, "1号楼电梯抢修",
                      [*[(fund[pk], s, D(0)) for pk, s in lift_shares.items()], (acc["1201"], D(0), D("56000.00"))])
    ids = j.write()

    approval = Approval.objects.create(estate=estate, kind=ApprovalKind.FUND_PROJECT,
                                       decision=ApprovalDecision.APPROVED, decided_by_role="committee_chair",
                                       tally={"for_area": "150000.00", "for_count": 1500})
    area = sum((h.area_m2 for h in houses), D(0))
    roof = FundProject.objects.create(estate=estate, title="全体屋面防水", budget="900000.00", proposed_by=finance,
                                      scope_area_m2=area, status=S.COMPLETED, approval=approval,
                                      completed_at=datetime.datetime(year, 9, 1, tzinfo=datetime.UTC))
    FundProjectHouse.objects.bulk_create([FundProjectHouse(estate=estate, project=roof, house=h, area_m2=h.area_m2)
                                          for h in houses], batch_size=CHUNK)
    FundProjectPayment.objects.create(estate=estate, project=roof, amount="888888.88", entry_id=ids[roof_seq])
    elevator = FundProject.objects.create(estate=estate, title="1号楼电梯抢修", budget="60000.00", proposed_by=finance,
                                          scope_area_m2=sum((h.area_m2 for h in lift), D(0)), status=S.IN_PROGRESS,
                                          emergency=True, emergency_kind=EmergencyKind.ELEVATOR)
    FundProjectPayment.objects.create(estate=estate, project=elevator, amount="56000.00", entry_id=ids[lift_seq])
    actor = resolve_actor(finance, estate.pk)
    for month in range(1, 13):
        services.period_close(actor=actor, year=year, month=month)
    _analyze()
    from gongzhi.ledger.models import JournalLine

    return {"estate_id": estate.pk, "user_id": finance.pk, "year": year, "houses": len(houses),
            "entries": len(j.entries),
            "lines": JournalLine.objects.filter(estate=estate).count(),
            "create_seconds": time.perf_counter() - began}


def _analyze() -> None:
    """PostgreSQL's statistics as autovacuum would have them shortly after a bulk load."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(data: dict) -> dict:
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from gongzhi.estate.models import Estate
    from gongzhi.ledger.disclosure import disclosure_report
    from gongzhi.ledger.pdf import render_pdf

    estate = Estate.objects.get(pk=data["estate_id"])
    translation.activate("zh-hans")

    def report():
        return disclosure_report(estate=estate, year=data["year"])

    def timed(fn):
        began = time.perf_counter()
        value = fn()
        return time.perf_counter() - began, value

    cold, built = timed(report)
    with CaptureQueriesContext(connection) as ctx:
        report()
    queries = len(ctx.captured_queries)  # now: a request (the page runs) clears the connection's query log
    report_runs = [timed(report)[0] for _ in range(RUNS)]
    pdf_cold, pdf = timed(lambda: render_pdf(built))
    pdf_runs = [timed(lambda: render_pdf(built))[0] for _ in range(RUNS)]
    page_runs = _page_runs(data)
    assert built.checkpoint.closed and len(built.fund.houses) == data["houses"]
    assert built.fund.end.balance == sum(h.balance for h in built.fund.houses)
    from io import BytesIO

    from pypdf import PdfReader

    return {"report_seconds": statistics.median(report_runs), "report_cold_seconds": cold,
            "queries": queries, "pdf_seconds": statistics.median(pdf_runs),
            "pdf_cold_seconds": pdf_cold, "page_seconds": statistics.median(page_runs[1:]),
            "page_cold_seconds": page_runs[0], "pdf_pages": len(PdfReader(BytesIO(pdf)).pages), "pdf_bytes": len(pdf),
            "income_total": str(built.income_total), "fund_balance": str(built.fund.end.balance)}


def _page_runs(data: dict) -> list[float]:
    """The disclosure page (the same report as HTML, 2,000 rows of the per-house statement included), through the
    whole Django stack in process: the first request, then RUNS more."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(get_user_model().objects.get(pk=data["user_id"]))
    url = f"/e/{data['estate_id']}/ledger/disclosure/?year={data['year']}"
    runs = []
    for _ in range(RUNS + 1):
        began = time.perf_counter()
        response = client.get(url)
        runs.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    return runs


# --- the run (parent) ------------------------------------------------------------------------------------------------
def bench_database(db: Database) -> dict:
    script = str(Path(__file__).resolve())
    data = last_json_line(run_child([script, "--prepare"], child_env(db), timeout=3600))
    print(f"  {db.label:10} {data['houses']:,} houses, {data['entries']:,} entries, {data['lines']:,} lines "
          f"created in {data['create_seconds']:.1f} s", flush=True)
    result = last_json_line(run_child([script, "--measure", json.dumps(data)], child_env(db), timeout=1800))
    print(f"  {db.label:10} report {result['report_seconds']:.3f} s (cold {result['report_cold_seconds']:.3f} s, "
          f"{result['queries']} queries); PDF {result['pdf_seconds']:.3f} s (cold {result['pdf_cold_seconds']:.3f} s, "
          f"{result['pdf_pages']} pages, {result['pdf_bytes'] // 1024} KB); page {result['page_seconds']:.3f} s",
          flush=True)
    return {"db": db.label, **data, **result}


def table(results: list[dict]) -> str:
    rows = ["| database | houses | entries | lines | what | seconds (median of 3) | cold | target | result |",
            "|---|---:|---:|---:|---|---:|---:|---|---|"]
    for r in results:
        if "skipped" in r:
            rows.append(f"| {r['db']} | | | | skipped: {r['skipped']} | | | | |")
            continue
        for what, key in (("annual report (with the per-house statement)", "report"), ("its PDF", "pdf"),
                          ("its page (HTML, whole request)", "page")):
            seconds = r[f"{key}_seconds"]
            verdict = "pass" if seconds < TARGET_SECONDS else "FAIL"
            rows.append(f"| {r['db']} | {r['houses']:,} | {r['entries']:,} | {r['lines']:,} | {what} | "
                        f"{seconds:.3f} | {r[f'{key}_cold_seconds']:.3f} | < {TARGET_SECONDS:g} s | {verdict} |")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--prepare"]:
        print(json.dumps(prepare()))
        return
    if argv[:1] == ["--measure"]:
        print(json.dumps(measure(json.loads(argv[1]))))
        return
    kinds = [a for a in argv if a in {"sqlite", "postgresql"}] or None
    facts = machine()
    print(f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} · {facts['nproc']} cores · {facts['cpu']} · "
          f"Python {facts['python']} · SQLite {facts['sqlite']} · PostgreSQL {facts['postgresql']} · load "
          f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results = []
    for kind, skipped in database_kinds(kinds):
        if skipped:
            print(f"  skipping {kind}: {skipped}", flush=True)
            results.append({"db": kind, "skipped": skipped})
            continue
        with database(kind) as db:
            results.append(bench_database(db))
    print()
    print(table(results))


if __name__ == "__main__":
    main(sys.argv[1:])
