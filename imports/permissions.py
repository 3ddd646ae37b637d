"""Permission codenames of imports and exports (collected by accounts.catalog).

Loading legacy data also needs the permissions of every service the rows go through (users.manage
for users, documents.create for documents, ...): `imports.run` only opens the door.
"""

PERMISSIONS: dict[str, str] = {
    "imports.view": "View import runs and download their error reports",
    "imports.run": "Load legacy data and export records with the management commands",
}
