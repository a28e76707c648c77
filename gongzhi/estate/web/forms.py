"""The small forms of the registry pages: the console's search box and the audit log's filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

# Prefixes of the registry's audit actions (``<entity>.<verb>``), offered as suggestions in the audit filter.
AUDIT_ACTION_PREFIXES = ["building.", "unit.", "house.", "person.", "residency.", "vehicle.", "membership.",
                         "import."]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), max_length=60, required=False, strip=True,
        widget=forms.TextInput(attrs={
            "type": "search", "autocomplete": "off", "enterkeyhint": "search",
            "placeholder": _("House (3-2-1502), name, mobile or plate"),
        }),
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"), max_length=80, required=False, strip=True,
        widget=forms.TextInput(attrs={"list": "audit-actions", "placeholder": _("e.g. house. or person.update")}),
    )
