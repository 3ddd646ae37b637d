"""Loads legacy CAPAs (CSV or XLSX), linked to their deviations by legacy number; see imports/loaders/capas.py.

manage.py import_capas capas.csv --as qa.manager --state-map "Open=open,Closed=closed"
"""

from imports.command import ImportCommand
from imports.loaders.capas import CapaLoader


class Command(ImportCommand):
    help = "Import legacy CAPAs; they keep their legacy number and state and are linked to deviations by legacy number."
    loader_class = CapaLoader

    def add_loader_arguments(self, parser):
        parser.add_argument("--state-map", help='Legacy state to workflow state, e.g. "Open=open,Closed=closed"')
        parser.add_argument("--state-map-file", help="CSV or XLSX with the columns legacy_state,state")
