from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """At least one letter and one digit: the rule residents know from banking apps."""

    def validate(self, password: str, user=None) -> None:
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            raise ValidationError(_("The password must contain both letters and digits."),
                                  code="password_character_classes")

    def get_help_text(self) -> str:
        return _("Your password must contain both letters and digits.")
