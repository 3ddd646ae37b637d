"""Text limits of CAPA records, in one place (models, serializers, page forms)."""

NUMBER = 30
LEGACY_NUMBER = 50
TITLE = 255
LONG_TEXT = 20000  # description, root cause, evidence, method
SOURCE_REFERENCE = 200
REASON = 2000
SEARCH = 200
MAX_ATTACHMENTS_PER_REQUEST = 20
MAX_LINKS_PER_REQUEST = 50
