"""The forms of the notices console. They only shape input: every rule is the services' (their errors are put back
on the field they name)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.estate.models import Building, Unit

from ..choices import NoticeCategory, NoticeKind, NoticeTarget
from ..presenters import unit_label

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input, read in the estate's time zone (settings.TIME_ZONE)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)
    input_formats = [LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return unit_label(obj)


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}),
                           help_text=_("Plain text. Line breaks are kept."))
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices, widget=forms.RadioSelect,
                             initial=NoticeKind.ROUTINE)
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("— none —")), *list(NoticeCategory.choices)],
                                 help_text=_("Required for an emergency notice."))
    important = forms.BooleanField(label=_("Important: notify residents and track who has read it"),
                                   required=False)
    target = forms.ChoiceField(label=_("Audience"), choices=NoticeTarget.choices, widget=forms.RadioSelect,
                               initial=NoticeTarget.ESTATE)
    buildings = forms.ModelMultipleChoiceField(label=_("Buildings"), queryset=Building.objects.none(),
                                               required=False, widget=forms.CheckboxSelectMultiple)
    units = UnitChoiceField(label=_("Units"), queryset=Unit.objects.none(), required=False,
                            widget=forms.CheckboxSelectMultiple)
    expires_at = LocalDateTimeField(label=_("Expires at"), required=False,
                                    help_text=_("Residents no longer see it from then on; the archive keeps it."))

    FIELD_OF = {"building_ids": "buildings", "unit_ids": "units"}

    def __init__(self, *args, estate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = Building.objects.for_estate(estate).order_by("sort_key", "name")
        self.fields["units"].queryset = (Unit.objects.for_estate(estate).select_related("building")
                                         .order_by("building__sort_key", "building__name", "sort_key", "name"))

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "body": data["body"], "kind": data["kind"], "category": data["category"],
                "important": data["important"], "target": data["target"],
                "building_ids": [b.pk for b in data["buildings"]], "unit_ids": [u.pk for u in data["units"]],
                "expires_at": data["expires_at"]}

    @classmethod
    def initial_from(cls, notice) -> dict:
        return {"title": notice.title, "body": notice.body, "kind": notice.kind, "category": notice.category,
                "important": notice.important, "target": notice.target,
                "buildings": list(notice.buildings.all()), "units": list(notice.units.all()),
                "expires_at": notice.expires_at}

    def add_service_error(self, error) -> None:
        field = (error.detail or {}).get("field") if isinstance(error.detail, dict) else None
        field = self.FIELD_OF.get(field, field)
        self.add_error(field if field in self.fields else None, error.text())


class PublishForm(forms.Form):
    publish_at = LocalDateTimeField(label=_("Publish at"), required=False,
                                    help_text=_("Leave empty to publish now."))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Attachment (PDF, JPEG, PNG or WebP)"))
