"""Loads legacy deviations (CSV or XLSX) through the active report form; see imports/loaders/deviations.py.

manage.py import_deviations deviations.csv --as qa.manager --state-map "Open=reported,Closed=closed"
"""

from imports.command import ImportCommand
from imports.loaders.deviations import DeviationLoader


class Command(ImportCommand):
    help = "Import legacy deviations; they keep their legacy number and state (mapped with --state-map)."
    loader_class = DeviationLoader

    def add_loader_arguments(self, parser):
        parser.add_argument("--state-map", help='Legacy state to workflow state, e.g. "Open=reported,Closed=closed"')
        parser.add_argument("--state-map-file", help="CSV or XLSX with the columns legacy_state,state")
