"""Events of the audit app (see qms.events)."""

from qms.events import EventName


class SignatureEvent(EventName):
    CREATED = "signature.created"
