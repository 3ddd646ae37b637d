from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key` for keys that are not identifiers (e.g. "NOT RUN")."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
