"""Shared REST plumbing: pagination, sorting, errors, permissions, throttles, schema hooks."""
