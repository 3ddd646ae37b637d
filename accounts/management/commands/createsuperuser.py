"""Django's createsuperuser, plus `--for-someone-else`: the password the operator types is then
one its holder must change at first use (21 CFR 11.300), recorded in the audit trail."""

from django.contrib.auth.management.commands import createsuperuser

from accounts import services
from accounts.models import User


class Command(createsuperuser.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--for-someone-else",
            action="store_true",
            help="The account is for another person: they must choose their own password at first use.",
        )

    def handle(self, *args, **options):
        newest = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        super().handle(*args, **options)
        if options.get("for_someone_else"):
            for user in User.objects.filter(pk__gt=newest, is_superuser=True):
                services.require_password_change(
                    actor=None, user=user, reason="Created with createsuperuser for someone else: set by the operator"
                )
                if options.get("verbosity", 1) >= 1:
                    self.stdout.write(f"{user.username} must change the password at first use.")
