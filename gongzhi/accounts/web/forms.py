from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Mobile number"), max_length=20,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "tel",
                                                             "autofocus": True}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete":
                                                                                      "current-password"}))


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=80)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365, initial=90)
    estates = forms.MultipleChoiceField(label=_("Estates"), widget=forms.CheckboxSelectMultiple)
