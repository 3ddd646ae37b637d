"""Loads user accounts from the HR list (CSV or XLSX), idempotent by username; see imports/loaders/users.py.

manage.py import_users users.csv --as admin [--create-groups] [--dry-run]
"""

from imports.command import ImportCommand
from imports.loaders.users import UserLoader


class Command(ImportCommand):
    help = "Import user accounts (username, email, full_name, role, groups, active). Passwords are never imported."
    loader_class = UserLoader

    def add_loader_arguments(self, parser):
        parser.add_argument("--create-groups", action="store_true", help="Create groups that do not exist yet")
