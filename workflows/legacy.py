"""Where a controlled record loaded from a legacy system came from.

A record module's create service takes `legacy=LegacyOrigin(...)` (deviations.services.report_deviation,
capa.services.create_capa): the record keeps its legacy number beside the new one (new numbering
continues unaffected), starts its workflow in the state it had there (no transition taken, no
approval or signature implied) and its audit trail says so.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

LEGACY_NOTICE = "legacy, not an electronic signature of this system"


@dataclass(frozen=True)
class LegacyApproval:
    """An approval as the legacy system recorded it: who and when as text, never a signature here."""

    by: str
    on: str = ""
    meaning: str = "Approved"

    def as_text(self) -> str:
        return f"{self.meaning} by {self.by}" + (f" on {self.on}" if self.on else "") + f" in the legacy system ({LEGACY_NOTICE})"

    def as_audit(self) -> dict:
        return {"by": self.by, "on": self.on or None, "meaning": self.meaning, "note": LEGACY_NOTICE}


@dataclass(frozen=True)
class LegacyOrigin:
    number: str
    state: str = ""  # the workflow state to start in; "" is the workflow's initial state
    reported_on: datetime.date | None = None  # when it was raised in the legacy system
    closed_on: datetime.date | None = None  # when it was closed there (closed records)
    source: str = ""  # e.g. "deviations.csv row 12"

    @property
    def comment(self) -> str:
        state = f" in state {self.state}" if self.state else ""
        return f"Imported from the legacy system as {self.number}{state} (legacy history, {LEGACY_NOTICE})"

    def as_audit(self) -> dict:
        return {
            "legacy_number": self.number,
            "legacy_state": self.state or None,
            "legacy_reported_on": self.reported_on,
            "legacy_closed_on": self.closed_on,
            "source": self.source or None,
        }
