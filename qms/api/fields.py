"""Request fields every app shares: ids that are checked for range before they reach the database
(an id beyond what the database stores is a 422, not an overflow in the driver)."""

from rest_framework import serializers

from .limits import MAX_INT


def IdField(**kwargs) -> serializers.IntegerField:  # noqa: N802 - used like a field class
    """A positive integer id sent in a body (`training_id`, `user_ids` items, `assignment_id`, ...)."""
    kwargs.setdefault("min_value", 1)
    kwargs.setdefault("max_value", MAX_INT)
    return serializers.IntegerField(**kwargs)


class RecordField(serializers.PrimaryKeyRelatedField):
    """PrimaryKeyRelatedField whose value must be a positive integer in the database's range before
    the record is looked up (`instructor_id`, `linked_document_ids`)."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "out_of_range": 'Invalid pk "{pk_value}" - object does not exist.',
    }

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            try:
                value = int(data)
            except (TypeError, ValueError):
                value = None
            if value is not None and not 1 <= value <= MAX_INT:
                self.fail("out_of_range", pk_value=data)
        return super().to_internal_value(data)
