"""The receipt PDF: Chinese text that is really there (STSong-Light, extractable), the amount in figures and in
capitals, each bill settled with its period, and 作废 / VOID across a voided receipt. And the 大写 converter."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import translation
from pypdf import PdfReader

from gongzhi.billing.payments import payment_record
from gongzhi.billing.receipts import receipt_void, render_receipt_pdf, rmb_upper
from gongzhi.billing.tests.conftest import make_bill


@pytest.mark.parametrize(("amount", "upper"), [
    ("260.70", "贰佰陆拾元柒角整"),
    ("0", "零元整"),
    ("0.05", "伍分"),
    ("0.70", "柒角整"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),
    ("1005.05", "壹仟零伍元零伍分"),
    ("1010.10", "壹仟零壹拾元壹角整"),
    ("10000", "壹万元整"),
    ("100010", "壹拾万零壹拾元整"),
    ("105000", "壹拾万伍仟元整"),
    ("1000000.01", "壹佰万元零壹分"),
    ("10000000", "壹仟万元整"),
    ("100000001", "壹亿零壹元整"),
    ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("20300.45", "贰万零叁佰元肆角伍分"),
    ("-3.5", "负叁元伍角整"),
    ("2.005", "贰元零壹分"),  # rounded half up to the fen
])
def test_amounts_in_chinese_capitals(amount, upper):
    assert rmb_upper(Decimal(amount)) == upper


def text_of(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db
def test_the_receipt_pdf_reads_back_in_chinese(fees):
    house = fees.houses[0]
    make_bill(house, ["260.70"])
    payment = payment_record(actor=fees.finance, house=house, amount=Decimal("300.00"), method="cash", key="k",
                             payer_name="张三")
    with translation.override("zh-hans"):
        reader, text = text_of(render_receipt_pdf(payment.receipt))
    fonts = {f.get_object()["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert "/STSong-Light" in fonts
    for expected in ("收款收据", fees.estate.name, "00000001", "1-1-101", "张三", "物业费", "2026-01-01",
                     "260.70", "39.30", "300.00", "叁佰元整"):
        assert expected in text, expected
    assert "作废" not in text


@pytest.mark.django_db
def test_a_voided_receipt_is_stamped(fees):
    payment = payment_record(actor=fees.finance, house=fees.houses[0], amount=Decimal("10.00"), method="cash",
                             key="k")
    receipt_void(actor=fees.finance, receipt=payment.receipt, reason="重复收款")
    payment.receipt.refresh_from_db()
    with translation.override("en"):
        _reader, text = text_of(render_receipt_pdf(payment.receipt))
    assert "作废 VOID" in text and "重复收款" in text and "Receipt" in text and "壹拾元整" in text
