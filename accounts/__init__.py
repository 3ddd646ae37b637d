"""Users, roles, permission codenames, groups and authentication."""
