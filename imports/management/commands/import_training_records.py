"""Loads historical training completions (CSV or XLSX); see imports/loaders/training.py.

manage.py import_training_records training.csv --as qa.manager [--dry-run]
"""

from imports.command import ImportCommand
from imports.loaders.training import TrainingRecordLoader


class Command(ImportCommand):
    help = "Import historical training completions (history only: no signatures are made or implied)."
    loader_class = TrainingRecordLoader
