"""Password rule beyond Django's validators: upper case, lower case and a digit."""

import re

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    rules = [
        (re.compile(r"[A-Z]"), "password_no_upper", "The password must contain at least one upper-case letter."),
        (re.compile(r"[a-z]"), "password_no_lower", "The password must contain at least one lower-case letter."),
        (re.compile(r"[0-9]"), "password_no_digit", "The password must contain at least one digit."),
    ]

    def validate(self, password, user=None):
        errors = [ValidationError(msg, code=code) for pattern, code, msg in self.rules if not pattern.search(password)]
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return "Your password must contain an upper-case letter, a lower-case letter and a digit."
