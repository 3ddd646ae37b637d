"""Text limits of deviation records, in one place: the models, serializers, page forms and the
report-form publish check read them (longer input is a 422 naming the field)."""

NUMBER = 30
TITLE = 255
PRODUCT = 200
BATCH = 200
LONG_TEXT = 20000  # description, immediate action, impact assessment, root cause, rationales
REASON = 2000  # reasons for changes, links and unlinks
NAME = 100  # categories and areas
SITE = 100
DESCRIPTION = 2000  # of a category or an area, and of an attachment
LINK_TARGET = 50  # a link's target as typed: an id or a number such as SOP-0001
VERSION = 20
SEARCH = 200
SUGGESTION_METHOD = 50
MAX_ATTACHMENTS_PER_REQUEST = 20
