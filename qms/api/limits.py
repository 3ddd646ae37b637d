"""Maximum sizes of what the API accepts, in one place: every free-text field of every serializer
takes its `max_length` from here (a longer value is a 422 with the limit in `msg`), and the README
lists them. New modules use the same names.

    description = serializers.CharField(max_length=limits.DESCRIPTION, required=False, allow_blank=True)
"""

# Short identifiers: codenames, role names, record-type names, slugs, workflow state names.
CODE = 100
# Names and titles: usernames, full names, group/role/template/workflow names, document titles.
NAME = 255
# Categories, departments, office locations, version labels.
LABEL = 150
# Why a change is made (audit trail), the intent of a signature.
REASON = 2000
# Comments on approvals and transitions, change summaries.
COMMENT = 4000
# Keywords of a document (comma-separated).
KEYWORDS = 1000
# Descriptions of records, roles, groups, types, templates, workflow templates.
DESCRIPTION = 10_000
# The Markdown body of a document template.
TEMPLATE_BODY = 200_000
# A template variable's value when a template is used.
VARIABLE_VALUE = 10_000
# Passwords (the hasher's cost grows with the length).
PASSWORD = 128
# A JWT presented in a body.
TOKEN = 4096
# Items in a list field (permission codenames, member ids, approval rules, states).
LIST_ITEMS = 500
# Ids and counters sent in a body: the largest integer the database stores (a larger one is a 422,
# never an overflow in the database driver).
MAX_INT = 2**63 - 1
