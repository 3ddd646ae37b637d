"""List endpoints: a page of rows read with one `.values_list()` query and turned into exactly the
dicts the list serializer would have produced, without building a model object and running the
serializer machinery per row.

Every collection GET goes through `ListModelMixin` (use it instead of DRF's):

    class DeviationViewSet(ListModelMixin, viewsets.GenericViewSet):
        serializer_class = DeviationListSerializer     # the response shape, as usual
        def get_queryset(self): return selectors.deviation_list(self.request.user)

It filters and sorts the queryset (the filter backends), reads the page with its total in one
query (`read_page`; `EnvelopePagination` validates `page`/`page_size`) and answers the list
envelope. A list serializer is *flat* when each of its readable fields is one of
  - a model column, or a column reached through forward foreign keys (`source="owner.username"`),
    or an annotation of the queryset; `PrimaryKeyRelatedField` gives the key; any field or
    serializer over a JSON column;
  - a nested ModelSerializer over a forward foreign key (`owner = UserRefSerializer()`), itself flat;
  - a nested `many=True` ModelSerializer over a many-to-many or reverse relation: one more query
    per page whatever its size (with the queryset's `Prefetch(..., queryset=...)` when it has one);
  - computed on the object (a property, a method, a `SerializerMethodField`) from the row's own
    columns: these run on a model object made from the row. Should one of them touch the database
    (a relation the queryset joins or prefetches for it), that page is made again by DRF from the
    queryset, and the serializer is no longer treated as flat.
Then the page costs one query (plus one per nested list) and one generated function call per row.
Any other serializer (its own `to_representation`, other relational fields, nested plain
serializers over relations, ...) is run by DRF as before: the same output, more time.
`flat_plan(serializer_class, queryset)` says whether a serializer is flat, and why not.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import Count, Prefetch, Subquery
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework import fields as drf_fields
from rest_framework import serializers as drf
from rest_framework.fields import SkipField, empty
from rest_framework.generics import GenericAPIView
from rest_framework.relations import ManyRelatedField, PKOnlyObject, PrimaryKeyRelatedField, RelatedField
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .pagination import EnvelopePagination

_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)
# DRF fields whose to_representation returns a value of this type unchanged.
_IDENTITY = {drf.CharField: str, drf.IntegerField: int, drf.BooleanField: bool, drf.ReadOnlyField: object}


class NotFlat(Exception):
    """The serializer cannot be read from `.values_list()` rows (the message says which field and why)."""


# --- what a field reads from the row ----------------------------------------------------------------


@dataclass
class _Column:
    """row[index] through `convert` (None stays None). When a foreign key on the way (`nulls`) is
    empty, DRF finds no attribute and uses the field's default."""

    field: drf_fields.Field
    index: int
    convert: Callable | None
    nulls: tuple[int, ...] = ()


@dataclass
class _Nested:
    """A nested serializer over a foreign key: None when the key (or one on the way) is empty."""

    key: int
    nulls: tuple[int, ...]
    items: list[tuple[str, object]]


@dataclass
class _List:
    """A nested many=True serializer: the page's lists were read by one query, keyed by row pk."""

    name: str
    key: int


@dataclass
class _Computed:
    """A field DRF computes from the object."""

    field: drf_fields.Field


@dataclass
class _Columns:
    """The lookups a plan reads, in row order (shared by a plan and its nested serializers)."""

    lookups: list[str] = field(default_factory=list)

    def index(self, lookup: str) -> int:
        if lookup not in self.lookups:
            self.lookups.append(lookup)
        return self.lookups.index(lookup)


@dataclass
class _Many:
    """How a nested many=True serializer is read for a whole page."""

    name: str
    relation: str  # its name on the listed model (for the queryset's Prefetch)
    model: type
    back: str  # lookup from the related model to the listed model
    columns: list[str]
    build: Callable


@dataclass
class Plan:
    model: type
    columns: list[str]
    build: Callable  # (row, instance, lists) -> the serializer's dict
    many: list[_Many]
    serializer: drf.Serializer
    object_columns: list[str]  # when computed fields need the row's model object: its columns
    reads_database: bool = False  # a computed field queried: DRF serializes this from now on


# --- compiling a serializer ------------------------------------------------------------------------


def _resolve(model, attrs: list[str], annotations) -> tuple[str, list[str], object] | None:
    """The values() lookup of a dotted source through forward foreign keys, the lookups of its
    nullable steps, and the model field (None for an annotation); None when the source is not a
    plain column."""
    path, nullable, current = [], [], model
    for position, attr in enumerate(attrs):
        last = position == len(attrs) - 1
        if position == 0 and last and attr in annotations:
            return attr, [], None
        if attr == "pk":
            attr = current._meta.pk.name
        try:
            model_field = current._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        if not model_field.concrete or model_field.many_to_many:
            return None
        if last:
            if getattr(model_field, "descriptor_class", None) not in _PLAIN_DESCRIPTORS and attr != model_field.attname:
                return None  # e.g. a file field (its attribute is an object, not the column)
            return "__".join([*path, attr]), nullable, model_field
        if not (model_field.many_to_one or model_field.one_to_one) or attr == model_field.attname:
            return None
        path.append(attr)
        if model_field.null:
            nullable.append("__".join(path))
        current = model_field.related_model
    return None


def _is_primary_key_field(bound) -> bool:
    return (
        isinstance(bound, PrimaryKeyRelatedField)
        and bound.pk_field is None
        and type(bound).get_attribute is RelatedField.get_attribute
        and type(bound).to_representation is PrimaryKeyRelatedField.to_representation
    )


def _converter(bound) -> Callable | None:
    """bound.to_representation, or None when it returns the value unchanged; for date-times and
    dates the same result by a shorter way (the time zone is looked up once per page)."""
    if _is_primary_key_field(bound):
        return None  # the key itself (DRF gives the related object's pk)
    convert = bound.to_representation
    output_format = getattr(bound, "format", None)
    if type(bound) is drf.DateTimeField and not hasattr(bound, "timezone") and settings.USE_TZ:
        output_format = output_format or api_settings.DATETIME_FORMAT
        if isinstance(output_format, str) and output_format.lower() != ISO_8601:
            return lambda value: (
                value.astimezone(_page.timezone).strftime(output_format)
                if type(value) is datetime.datetime and value.tzinfo is not None
                else convert(value)
            )
    if type(bound) is drf.DateField and (output_format or api_settings.DATE_FORMAT) == ISO_8601:
        return lambda value: value.isoformat() if type(value) is datetime.date else convert(value)
    kind = _IDENTITY.get(type(bound))
    if type(bound) is drf.BigIntegerField and not getattr(bound, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING):
        kind = int
    if kind is None:
        return convert
    if kind is object:
        return None
    return lambda value: value if type(value) is kind else convert(value)


def _own_methods(serializer) -> None:
    if type(serializer).to_representation is not drf.Serializer.to_representation:
        raise NotFlat(f"{type(serializer).__name__} has its own to_representation()")
    if type(serializer).get_fields not in (drf.Serializer.get_fields, drf.ModelSerializer.get_fields):
        raise NotFlat(f"{type(serializer).__name__} has its own get_fields()")


def _items(serializer, model, columns: _Columns, prefix: str, annotations, lists: dict | None, via=None) -> list:
    """(name, item) per readable field; `lists` collects nested many=True serializers (None where
    they cannot be: inside a nested serializer); `via` is the foreign key a nested serializer is
    reached by (its target's column is read from the key itself, without a join)."""
    _own_methods(serializer)
    items = []
    for bound in serializer.fields.values():
        if bound.write_only:
            continue
        name = bound.field_name
        where = f"{type(serializer).__name__}.{name}"
        plain = bound.source != "*" and (
            type(bound).get_attribute is drf_fields.Field.get_attribute or _is_primary_key_field(bound)
        )
        resolved = _resolve(model, bound.source_attrs, annotations) if plain else None
        if resolved is not None:
            lookup, nullable, model_field = resolved
            key = model_field is not None and model_field.is_relation and lookup.rsplit("__", 1)[-1] == model_field.name
            if key and isinstance(bound, drf.ModelSerializer):
                if model_field.related_model is not bound.Meta.model:
                    raise NotFlat(f"{where}: nested {bound.Meta.model.__name__} over a {model_field.related_model.__name__} key")
                sub = _items(bound, model_field.related_model, columns, f"{prefix}{lookup}__", (), None, via=model_field)
                nulls = tuple(columns.index(prefix + n) for n in nullable if n != lookup)
                items.append((name, _Nested(columns.index(prefix + lookup), nulls, sub)))
                continue
            if key != _is_primary_key_field(bound):
                raise NotFlat(f"{where}: {type(bound).__name__} over {'a related object' if key else 'a column'}")
            nulls = tuple(columns.index(prefix + n) for n in nullable)
            if via is not None and model_field is via.target_field and lookup == model_field.attname:
                column = prefix[:-2]  # the foreign key holds the related row's key
            else:
                column = prefix + lookup
            items.append((name, _Column(bound, columns.index(column), _converter(bound), nulls)))
            continue
        if isinstance(bound, drf.ListSerializer) and lists is not None:
            lists[name] = bound
            items.append((name, _List(name, columns.index(prefix + model._meta.pk.name))))
            continue
        relational = isinstance(bound, (RelatedField, ManyRelatedField, drf.BaseSerializer))
        if lists is None or relational or len(bound.source_attrs) > 1:
            raise NotFlat(f"{where}: source {bound.source!r} is neither a column nor a relation a list can read")
        items.append((name, _Computed(bound)))
    return items


def _many(bound: drf.ListSerializer, model, name: str) -> _Many:
    where = f"{type(bound.parent).__name__}.{name}"
    child = bound.child
    if type(bound) is not drf.ListSerializer or not isinstance(child, drf.ModelSerializer) or len(bound.source_attrs) != 1:
        raise NotFlat(f"{where}: a list of something other than a ModelSerializer over a relation")
    try:
        relation = model._meta.get_field(bound.source_attrs[0])
    except FieldDoesNotExist:
        raise NotFlat(f"{where}: source {bound.source!r} is not a relation") from None
    if relation.many_to_many and relation.concrete:
        back = relation.related_query_name()
    elif relation.one_to_many or (relation.many_to_many and not relation.concrete):
        back = relation.field.name
    else:
        raise NotFlat(f"{where}: source {bound.source!r} is not a many-to-many or reverse relation")
    if relation.related_model is not child.Meta.model:
        raise NotFlat(f"{where}: lists {child.Meta.model.__name__}, the relation holds {relation.related_model.__name__}")
    columns = _Columns()
    items = _items(child, relation.related_model, columns, "", (), None)
    key = columns.index(back)  # the listed row's pk, last
    return _Many(name, bound.source_attrs[0], relation.related_model, back, columns.lookups, _row_function(items, key))


def _missing(bound):
    """What DRF gives a field whose source passes through an empty foreign key."""
    if bound.default is not empty:
        value = bound.get_default()
        return None if value is None else bound.to_representation(value)
    if bound.allow_null:
        return None
    if not bound.required:
        raise SkipField()
    raise AttributeError(f"{type(bound.parent).__name__}.{bound.field_name}: no value on this row")


def _computed(bound):
    def get(instance):
        attribute = bound.get_attribute(instance)
        check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check is None else bound.to_representation(attribute)

    return get


def _row_function(items: list, key: int | None = None) -> Callable:
    """One generated function that makes a row's dict (the way dataclasses generates __init__):
    build(row, instance, lists) -> {"id": row[0], "owner": None if row[5] is None else {...}, ...}.
    With `key`, it returns (row[key], dict)."""
    namespace = {"SkipField": SkipField}

    def name_for(value) -> str:
        name = f"_{len(namespace)}"
        namespace[name] = value
        return name

    def expression(item) -> tuple[str, bool]:
        """Python source computing `item` from row/instance/lists, and whether it may raise SkipField."""
        if isinstance(item, _Column):
            if item.nulls:
                missing = name_for(lambda bound=item.field: _missing(bound))
                value = expression(_Column(item.field, item.index, item.convert))[0]
                empty_key = " or ".join(f"row[{i}] is None" for i in item.nulls)
                return f"({missing}() if {empty_key} else {value})", True
            if item.convert is None:
                return f"row[{item.index}]", False
            return f"(None if row[{item.index}] is None else {name_for(item.convert)}(row[{item.index}]))", False
        if isinstance(item, _Nested):
            parts = [expression(sub) for _, sub in item.items]
            empty_key = " or ".join(f"row[{i}] is None" for i in (item.key, *item.nulls))
            if any(skips for _, skips in parts):
                nested = name_for(_row_function(item.items))
                return f"(None if {empty_key} else {nested}(row, instance, lists))", False
            body = ", ".join(f"{name!r}: {code}" for (name, _), (code, _) in zip(item.items, parts, strict=True))
            return f"(None if {empty_key} else {{{body}}})", False
        if isinstance(item, _List):
            return f"lists[{item.name!r}].get(row[{item.key}], [])", False
        return f"{name_for(_computed(item.field))}(instance)", True

    lines = ["def build(row, instance, lists):", "    out = {}"]
    for name, item in items:
        code, skips = expression(item)
        if skips:
            lines += ["    try:", f"        out[{name!r}] = {code}", "    except SkipField:", "        pass"]
        else:
            lines.append(f"    out[{name!r}] = {code}")
    lines.append("    return out" if key is None else f"    return row[{key}], out")
    exec("\n".join(lines), namespace)  # noqa: S102 - source made above from field names and indexes
    return namespace["build"]


def _object_columns(queryset) -> list[str]:
    """The columns of the listed model's objects, as the queryset would load them (without the
    fields it defers: a computed field that reads one queries, and DRF takes the page over)."""
    names, defer = queryset.query.deferred_loading
    fields = queryset.model._meta.concrete_fields
    if defer:
        return [f.attname for f in fields if f.name not in names and f.attname not in names]
    return [f.attname for f in fields if f.primary_key or f.name in names or f.attname in names]


_local = threading.local()
_page = threading.local()  # what serializing the current page needs: .timezone


def flat_plan(serializer_class, queryset) -> Plan:
    """The plan that reads `serializer_class`'s rows from `queryset`; NotFlat says why there is none.
    Plans are made once per thread (their serializer carries the current request's context)."""
    query = queryset.query
    if query.is_sliced or query.distinct or query.combinator or query.extra_select:
        # DISTINCT over the listed columns, a union or extra() would not give the serializer's rows.
        raise NotFlat("the queryset is sliced, distinct, combined or has extra() columns")
    plans = getattr(_local, "plans", None)
    if plans is None:
        plans = _local.plans = {}
    annotations = tuple(sorted(queryset.query.annotations))
    key = (serializer_class, queryset.model, annotations, repr(queryset.query.deferred_loading))
    plan = plans.get(key)
    if plan is None:
        try:
            if getattr(getattr(serializer_class, "Meta", None), "list_serializer_class", None):
                raise NotFlat(f"{serializer_class.__name__} has its own list_serializer_class")
            serializer = serializer_class(context={})
            columns, lists = _Columns(), {}
            items = _items(serializer, queryset.model, columns, "", annotations, lists)
            computed = any(isinstance(item, _Computed) for _, item in items)
            attnames = _object_columns(queryset) if computed else []
            for attname in attnames:
                columns.index(attname)
            many = [_many(bound, queryset.model, name) for name, bound in lists.items()]
            plan = Plan(queryset.model, columns.lookups, _row_function(items), many, serializer, attnames)
        except NotFlat as exc:
            plan = exc
        plans[key] = plan
    if isinstance(plan, NotFlat):
        raise plan
    if plan.reads_database:
        raise NotFlat(f"{serializer_class.__name__} computes a field from the database")
    return plan


# --- reading a page -------------------------------------------------------------------------------


_TOTAL = "_qms_list_total"


def _countable(queryset) -> bool:
    """Whether COUNT(*) with the queryset's joins and WHERE counts its rows (no DISTINCT, grouping, union)."""
    query = queryset.query
    return not (
        query.distinct
        or query.combinator
        or query.group_by is not None
        or any(getattr(expression, "contains_aggregate", False) for expression in query.annotations.values())
    )


def _counted(queryset):
    """The queryset with the number of all its rows on each row: a subquery the database runs once."""
    count = queryset.query.chain()
    count.clear_ordering(force=True)
    count.select_related = False
    count.clear_deferred_loading()
    count.default_cols = False
    count.add_annotation(Count("*"), "n", select=True)
    count.set_annotation_mask(["n"])
    return queryset.annotate(**{_TOTAL: Subquery(count)})


def _read_many(spec: _Many, queryset, keys: list) -> dict:
    related = spec.model._default_manager.all()
    for lookup in queryset._prefetch_related_lookups:
        if isinstance(lookup, Prefetch) and lookup.prefetch_through == spec.relation and lookup.queryset is not None:
            related = lookup.queryset
    grouped = defaultdict(list)
    build = spec.build
    for row in related.filter(**{f"{spec.back}__in": keys}).values_list(*spec.columns):
        key, item = build(row, None, None)
        grouped[key].append(item)
    return grouped


class _QueryAttempted(Exception):
    pass


def _build_rows(plan: Plan, rows: list, queryset, lists: dict) -> list | None:
    """The rows' dicts; None when a computed field tried to query (DRF then makes the page)."""
    build, attnames = plan.build, plan.object_columns
    if not attnames:
        return [build(row, None, lists) for row in rows]
    model, db = plan.model, queryset.db
    positions = [plan.columns.index(name) for name in attnames]
    attempted = []

    def refuse(execute, sql, params, many, context):
        attempted.append(sql)
        raise _QueryAttempted(sql)

    try:
        with connections[db].execute_wrapper(refuse):
            out = [build(row, model.from_db(db, attnames, [row[i] for i in positions]), lists) for row in rows]
    except _QueryAttempted:
        out = None
    if attempted:  # even if the field caught the refusal
        plan.reads_database = True
        return None
    return out


def read_page(
    queryset, serializer_class, *, context: dict, offset: int = 0, limit: int | None = None, count: bool = True
) -> tuple[list, int | None]:
    """The serialized rows of `queryset[offset:offset + limit]` and, when `count` and the page is
    not empty, the number of rows of the whole queryset read in the same query (None when it was not
    read: the caller counts if it needs to). One query when the serializer is flat."""
    end = None if limit is None else offset + limit
    try:
        plan = flat_plan(serializer_class, queryset)
    except NotFlat:
        return serializer_class(queryset[offset:end], many=True, context=context).data, None
    counted = count and _countable(queryset)
    read = _counted(queryset).values_list(*plan.columns, _TOTAL) if counted else queryset.values_list(*plan.columns)
    rows = list(read[offset:end])
    if not rows:
        return [], None
    pk = plan.columns.index(plan.model._meta.pk.name)
    lists = {spec.name: _read_many(spec, queryset, [row[pk] for row in rows]) for spec in plan.many}
    plan.serializer._context = context
    _page.timezone = timezone.get_current_timezone()
    out = _build_rows(plan, rows, queryset, lists)
    if out is None:
        return serializer_class(queryset[offset:end], many=True, context=context).data, None
    return out, rows[0][-1] if counted else None


def serialize_rows(queryset, serializer_class, *, context: dict, offset: int = 0, limit: int | None = None) -> list:
    """`serializer_class(queryset[offset:offset + limit], many=True, context=context).data`, read
    with one `.values_list()` query when the serializer is flat."""
    return read_page(queryset, serializer_class, context=context, offset=offset, limit=limit, count=False)[0]


class ListModelMixin:
    """GET on a collection: the filtered, sorted page in the list envelope (see the module docstring)."""

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if type(self).get_serializer is not GenericAPIView.get_serializer:
            # A view that builds its serializer itself keeps doing so.
            page = self.paginate_queryset(queryset)
            serializer = self.get_serializer(page, many=True)
            return self.get_paginated_response(serializer.data) if page is not None else Response(serializer.data)
        return self.paginated_rows(queryset, self.get_serializer_class())

    def paginated_rows(self, queryset, serializer_class) -> Response:
        """The page of `queryset` the request asks for, serialized by `serializer_class`, in the list envelope."""
        paginator = self.paginator
        context = self.get_serializer_context()
        if not isinstance(paginator, EnvelopePagination):
            if paginator is None:
                return Response(serialize_rows(queryset, serializer_class, context=context))
            page = self.paginate_queryset(queryset)
            return self.get_paginated_response(serializer_class(page, many=True, context=context).data)
        page, size = paginator.page_request(self.request)
        offset = (page - 1) * size
        items, total = read_page(queryset, serializer_class, context=context, offset=offset, limit=size)
        paginator.set_page(queryset, page=page, page_size=size, rows=len(items), total=total)
        return paginator.get_paginated_response(items)
