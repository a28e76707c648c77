"""An error raised while one language is active still reads right in the other: its reason is rendered when shown,
not when raised (gongzhi.core.errors.Reason)."""

import pytest
from django.utils import translation

from gongzhi.core.errors import DomainError
from gongzhi.ledger.services import clean_text


def test_a_too_long_text_is_explained_in_both_languages_whatever_language_raised_it():
    with translation.override("en"), pytest.raises(DomainError) as raised:
        clean_text("description", "x" * 5000)
    texts = raised.value.texts()
    assert "at most" in texts["en"]
    assert "最多" in texts["zh-hans"] and "at most" not in texts["zh-hans"]
