"""List endpoints: a page of rows read with one `.values_list()` query and turned into exactly the
dicts the list serializer would have produced, without building a model object per row.

Every collection GET goes through `ListModelMixin` (use it instead of DRF's):

    class DeviationViewSet(ListModelMixin, viewsets.GenericViewSet):
        serializer_class = DeviationListSerializer     # the response shape, as usual
        def get_queryset(self): return selectors.deviation_list(self.request.user)

It filters and sorts the queryset (the filter backends), reads the page (`EnvelopePagination`, which
counts only when the page does not tell the total) and serializes the rows with `serialize_rows`.
A list serializer is *flat* when each of its readable fields is one of
  - a model column, or a column reached through forward foreign keys (`source="owner.username"`),
    or an annotation of the queryset; `PrimaryKeyRelatedField` gives the key;
  - a nested ModelSerializer over a forward foreign key (`owner = UserRefSerializer()`), itself flat;
  - a nested `many=True` ModelSerializer over a many-to-many or reverse relation (one more query
    per page, whatever its size, with the queryset's `Prefetch(..., queryset=...)` when it has one);
  - computed on the object: a property, a method, a `SerializerMethodField`. These run on a model
    object built from the row's columns with the objects the queryset's `select_related` joins and
    its `prefetch_related` lists (as the queryset would have built it; nested lists then come from
    those prefetches), so they may use those; a relation beyond them costs a query per row, as it
    would with DRF (the query-count tests catch it).
Then the page costs one query (plus one per nested list) and no per-row serializer machinery.
Any other serializer (custom `to_representation`, other relational fields, nested plain
serializers, ...) is run by DRF as before: same output, more time. `flat_plan(serializer_class,
queryset)` says whether a serializer is flat (and why not); the tests hold every list endpoint to it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Prefetch, Subquery, Value, prefetch_related_objects
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from rest_framework import fields as drf_fields
from rest_framework import serializers as drf
from rest_framework.fields import SkipField, empty
from rest_framework.generics import GenericAPIView
from rest_framework.relations import ManyRelatedField, PKOnlyObject, PrimaryKeyRelatedField, RelatedField
from rest_framework.response import Response

from .pagination import EnvelopePagination

_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)
# DRF fields whose to_representation returns a value of this type unchanged.
_IDENTITY = {drf.CharField: str, drf.IntegerField: int, drf.BooleanField: bool, drf.ReadOnlyField: object}


class NotFlat(Exception):
    """The serializer cannot be read from `.values_list()` rows (the message says which field and why)."""


# --- plans ---------------------------------------------------------------------------------------


@dataclass
class _Columns:
    """The lookups a plan reads, in row order (shared by a plan and its nested plans)."""

    lookups: list[str] = field(default_factory=list)

    def index(self, lookup: str) -> int:
        if lookup not in self.lookups:
            self.lookups.append(lookup)
        return self.lookups.index(lookup)


@dataclass
class _Many:
    """A nested many=True serializer: read for the whole page with one query."""

    name: str
    relation: str  # the relation's name on the listed model (for its Prefetch)
    model: type
    back: str  # lookup from the related model to the listed model
    plan: Plan


@dataclass
class Plan:
    """How to read one serializer's fields from a row: `items` are (output name, getter)."""

    model: type
    columns: _Columns
    items: list[tuple[str, Callable]]
    many: list[_Many]
    serializer: drf.Serializer
    build_instance: Callable | None = None  # (row, db) -> the object computed fields run on


def _resolve(model, attrs: list[str], annotations) -> tuple[str, list[str], object] | None:
    """The values() lookup of a dotted source through forward foreign keys, the lookups of its
    nullable steps (whose emptiness means "no such attribute"), and the model field (None for an
    annotation). None when the source is not a plain column."""
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
                return None
            return "__".join([*path, attr]), nullable, model_field
        if not (model_field.many_to_one or model_field.one_to_one) or attr == model_field.attname:
            return None
        path.append(attr)
        if model_field.null:
            nullable.append("__".join(path))
        current = model_field.related_model
    return None


def _missing(field):
    """What DRF gives a field whose source passes through an empty foreign key."""
    if field.default is not empty:
        return field.get_default()
    if field.allow_null:
        return None
    if not field.required:
        raise SkipField()
    raise AttributeError(f"{field.parent.__class__.__name__}.{field.field_name}: no value on this row")


def _converter(field) -> Callable | None:
    """field.to_representation, or None when it would return the value unchanged."""
    if _is_primary_key_field(field):
        return None  # the key itself (DRF gives the related object's pk)
    kind = _IDENTITY.get(type(field))
    if kind is None:
        return field.to_representation
    if kind is object:
        return None
    return lambda value, kind=kind, convert=field.to_representation: value if type(value) is kind else convert(value)


def _column_getter(field, index: int, null_indexes: list[int]) -> Callable:
    convert = _converter(field)

    def get(row, instance, many):
        for null_index in null_indexes:
            if row[null_index] is None:
                value = _missing(field)
                return None if value is None else field.to_representation(value)
        value = row[index]
        if value is None or convert is None:
            return value
        return convert(value)

    return get


def _computed_getter(field) -> Callable:
    def get(row, instance, many):
        attribute = field.get_attribute(instance)
        check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)

    return get


def _nested_getter(plan: Plan, key_index: int, null_indexes: list[int]) -> Callable:
    items = plan.items

    def get(row, instance, many):
        if row[key_index] is None or any(row[i] is None for i in null_indexes):
            return None
        out = {}
        for name, getter in items:
            try:
                out[name] = getter(row, instance, many)
            except SkipField:
                continue
        return out

    return get


def _many_getter(name: str, key_index: int) -> Callable:
    def get(row, instance, many):
        return many[name].get(row[key_index], [])

    return get


def _own_methods(serializer) -> None:
    if type(serializer).to_representation is not drf.Serializer.to_representation:
        raise NotFlat(f"{type(serializer).__name__} has its own to_representation()")
    if type(serializer).get_fields not in (drf.Serializer.get_fields, drf.ModelSerializer.get_fields):
        raise NotFlat(f"{type(serializer).__name__} has its own get_fields()")


def _compile(serializer, model, columns: _Columns, prefix: str, annotations, *, nested: bool) -> Plan:
    _own_methods(serializer)
    items: list[tuple[str, Callable]] = []
    many: list[_Many] = []
    computed = False
    pk_index = columns.index(prefix + model._meta.pk.name)
    here = annotations if not prefix else ()
    lists = {}
    for bound in serializer.fields.values():
        if bound.write_only:
            continue
        name = bound.field_name
        where = f"{type(serializer).__name__}.{name}"
        plain = bound.source != "*" and (
            type(bound).get_attribute is drf_fields.Field.get_attribute or _is_primary_key_field(bound)
        )
        resolved = _resolve(model, bound.source_attrs, here) if plain else None
        if resolved is not None:
            lookup, nullable, model_field = resolved
            key = model_field is not None and model_field.is_relation and lookup.rsplit("__", 1)[-1] == model_field.name
            if key and isinstance(bound, drf.ModelSerializer):
                if model_field.related_model is not bound.Meta.model:
                    raise NotFlat(f"{where}: nested {bound.Meta.model.__name__} over a {model_field.related_model.__name__} key")
                sub = _compile(bound, model_field.related_model, columns, f"{prefix}{lookup}__", (), nested=True)
                nulls = [columns.index(prefix + n) for n in nullable if n != lookup]
                items.append((name, _nested_getter(sub, columns.index(prefix + lookup), nulls)))
                continue
            if key != _is_primary_key_field(bound):
                raise NotFlat(f"{where}: {type(bound).__name__} over {'a related object' if key else 'a column'}")
            # A column's value (a nested serializer over a column gets its JSON, as from the object).
            nulls = [columns.index(prefix + n) for n in nullable]
            items.append((name, _column_getter(bound, columns.index(prefix + lookup), nulls)))
            continue
        if isinstance(bound, drf.ListSerializer) and not nested:
            lists[name] = bound
            items.append((name, None))  # below
            continue
        if nested or isinstance(bound, (RelatedField, ManyRelatedField, drf.BaseSerializer)) or len(bound.source_attrs) > 1:
            raise NotFlat(f"{where}: source {bound.source!r} is neither a column nor a relation a list can read")
        computed = True
        items.append((name, _computed_getter(bound)))
    for position, (name, _getter) in enumerate(items):
        if name not in lists:
            continue
        if computed:
            # Rows become objects anyway: their nested lists come from the queryset's prefetch_related, as with DRF.
            items[position] = (name, _computed_getter(lists[name]))
        else:
            many.append(_many_plan(lists[name], model, name, f"{type(serializer).__name__}.{name}"))
            items[position] = (name, _many_getter(name, pk_index))
    return Plan(model, columns, items, many, serializer, build_instance=computed or None)


def _is_primary_key_field(bound) -> bool:
    return (
        isinstance(bound, PrimaryKeyRelatedField)
        and bound.pk_field is None
        and type(bound).get_attribute is RelatedField.get_attribute
        and type(bound).to_representation is PrimaryKeyRelatedField.to_representation
    )


def _instance_builder(queryset, columns: _Columns) -> Callable:
    """(row, db) -> a model object holding the row's columns and the objects its queryset's
    select_related joins, as the queryset would have built it (deferred fields stay deferred)."""
    names, defer = queryset.query.deferred_loading
    if names and not defer:
        raise NotFlat("fields computed on the object, and the queryset limits its columns with only()")
    tree = queryset.query.select_related
    if tree is True:
        raise NotFlat("fields computed on the object, and the queryset uses select_related() without names")
    return _object_builder(queryset.model, "", tree or {}, columns, set(names))


def _object_builder(model, prefix: str, tree: dict, columns: _Columns, deferred: set) -> Callable:
    attnames = [
        f.attname for f in model._meta.concrete_fields if prefix + f.name not in deferred and prefix + f.attname not in deferred
    ]
    positions = [columns.index(prefix + attname) for attname in attnames]
    joined = []
    for name, subtree in tree.items():
        relation = model._meta.get_field(name)
        if not relation.concrete or not (relation.many_to_one or relation.one_to_one):
            raise NotFlat(f"fields computed on the object, and select_related({prefix + name!r}) is not a forward key")
        builder = _object_builder(relation.related_model, f"{prefix}{name}__", subtree, columns, deferred)
        joined.append((relation, columns.index(prefix + relation.attname), builder))

    def build(row, db):
        obj = model.from_db(db, attnames, [row[i] for i in positions])
        for relation, key_index, builder in joined:
            relation.set_cached_value(obj, None if row[key_index] is None else builder(row, db))
        return obj

    return build


def _many_plan(bound: drf.ListSerializer, model, name: str, where: str) -> _Many:
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
    sub = _compile(child, relation.related_model, _Columns(), "", (), nested=True)
    return _Many(name, bound.source_attrs[0], relation.related_model, back, sub)


_local = threading.local()


def flat_plan(serializer_class, queryset) -> Plan:
    """The plan that reads `serializer_class`'s rows from `queryset`; NotFlat says why there is none.
    Plans are made once per thread (their serializer carries the current request's context)."""
    plans = getattr(_local, "plans", None)
    if plans is None:
        plans = _local.plans = {}
    query = queryset.query
    annotations = tuple(sorted(query.annotations))
    key = (serializer_class, queryset.model, annotations, repr(query.select_related), repr(query.deferred_loading))
    plan = plans.get(key)
    if plan is None:
        try:
            if getattr(getattr(serializer_class, "Meta", None), "list_serializer_class", None):
                raise NotFlat(f"{serializer_class.__name__} has its own list_serializer_class")
            plan = _compile(serializer_class(context={}), queryset.model, _Columns(), "", annotations, nested=False)
            if plan.build_instance:
                plan.build_instance = _instance_builder(queryset, plan.columns)
        except NotFlat as exc:
            plan = exc
        plans[key] = plan
    if isinstance(plan, NotFlat):
        raise plan
    return plan


def _read_many(spec: _Many, queryset, keys: list) -> dict:
    related = spec.model._default_manager.all()
    for lookup in queryset._prefetch_related_lookups:
        if isinstance(lookup, Prefetch) and lookup.prefetch_through == spec.relation and lookup.queryset is not None:
            related = lookup.queryset
    lookups = [spec.back, *spec.plan.columns.lookups]
    grouped = defaultdict(list)
    items = spec.plan.items
    for row in related.filter(**{f"{spec.back}__in": keys}).values_list(*lookups):
        key, values = row[0], row[1:]
        out = {}
        for name, getter in items:
            try:
                out[name] = getter(values, None, None)
            except SkipField:
                continue
        grouped[key].append(out)
    return grouped


def serialize_rows(queryset, serializer_class, *, context: dict, offset: int = 0, limit: int | None = None) -> list:
    """`serializer_class(queryset[offset:offset + limit], many=True, context=context).data`, read
    with one `.values_list()` query when the serializer is flat (see the module docstring)."""
    return read_page(queryset, serializer_class, context=context, offset=offset, limit=limit, count=False)[0]


_TOTAL = "_qms_list_total"


def _countable(queryset) -> bool:
    """Whether COUNT(*) over the queryset's WHERE counts its rows (no DISTINCT, grouping or union)."""
    query = queryset.query
    return not (
        query.distinct
        or query.combinator
        or query.group_by is not None
        or any(getattr(expression, "contains_aggregate", False) for expression in query.annotations.values())
    )


def _counted(queryset):
    """The queryset with the number of all its rows on each row (a subquery the database runs once)."""
    count = queryset.order_by().annotate(_qms_one=Value(1)).values("_qms_one").annotate(n=Count("*")).values("n")
    return queryset.annotate(**{_TOTAL: Subquery(count)})


def read_page(
    queryset, serializer_class, *, context: dict, offset: int = 0, limit: int | None = None, count: bool = True
) -> tuple[list, int | None]:
    """The serialized rows of `queryset[offset:offset + limit]` and, when `count` and the page is not
    empty, the number of rows of the whole queryset, read in the same query when the serializer is
    flat (otherwise None: the caller counts if it needs to)."""
    end = None if limit is None else offset + limit
    try:
        plan = flat_plan(serializer_class, queryset)
    except NotFlat:
        return serializer_class(queryset[offset:end], many=True, context=context).data, None
    columns = plan.columns.lookups
    counted = count and _countable(queryset)
    read = _counted(queryset).values_list(*columns, _TOTAL) if counted else queryset.values_list(*columns)
    rows = list(read[offset:end])
    if not rows:
        return [], None
    total = rows[0][-1] if counted else None
    many = {}
    if plan.many:
        pk_index = columns.index(plan.model._meta.pk.name)
        keys = [row[pk_index] for row in rows]
        many = {spec.name: _read_many(spec, queryset, keys) for spec in plan.many}
    build_instance, db = plan.build_instance, queryset.db
    instances = [None] * len(rows)
    if build_instance:
        instances = [build_instance(row, db) for row in rows]
        if queryset._prefetch_related_lookups:
            prefetch_related_objects(instances, *queryset._prefetch_related_lookups)
    plan.serializer._context = context
    items = plan.items
    out = []
    for row, instance in zip(rows, instances, strict=True):
        data = {}
        for name, getter in items:
            try:
                data[name] = getter(row, instance, many)
            except SkipField:
                continue
        out.append(data)
    return out, total


class ListModelMixin:
    """GET on a collection: the filtered, sorted page in the list envelope, its rows by `serialize_rows`."""

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
