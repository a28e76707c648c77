"""zh-hans is the default language and the catalogue is complete; English is the source language."""

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_is_translated_and_nothing_is_fuzzy():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_compiled_catalogue_matches_the_source():
    """The .mo is committed (a fresh machine may lack gettext); it must say what the .po says."""
    po = polib.pofile(str(CATALOGUE / "django.po"))
    with open(CATALOGUE / "django.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert mo._catalog.get(key) == entry.msgstr, f"stale .mo for {entry.msgid!r}: run `make messages`"


def test_python_format_placeholders_survive_translation():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    import re

    named = re.compile(r"%\((\w+)\)[sd]")
    for entry in po.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(named.findall(entry.msgid_plural or entry.msgid)) == set(named.findall(text)), entry.msgid


@pytest.mark.django_db
def test_pages_default_to_chinese_and_switch_to_english(client):
    assert "登录" in client.get("/accounts/login/").content.decode()
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in page


@pytest.mark.django_db
def test_api_errors_carry_both_languages(client):
    body = client.get("/api/v1/estates/1/houses").json()
    assert body["messages"]["en"] == "Please sign in."
    assert body["messages"]["zh-hans"] != body["messages"]["en"]
    assert body["message"] == body["messages"]["zh-hans"]
