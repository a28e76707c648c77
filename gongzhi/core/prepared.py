"""Prepared ORM queries: a ``values()`` query of a fixed shape, compiled by the ORM once per process and database,
then re-run with new parameters.

Why: on the small machines this project targets, building and compiling an ORM query costs 0.3–1 ms of Python,
while the database answers an indexed lookup in microseconds, so the registry API's hottest reads spent most of
their time compiling the same SQL again (bench/README.md). The SQL is still the ORM's own (quoting, joins, the
database's dialect); only the compilation is reused. Use it only for shapes that depend on nothing but the
declared parameters: a queryset whose build adds filters on other values (the date of today, the actor's id)
would bake those values in, so :meth:`PreparedValues.__init__` refuses any SQL parameter that is not one of the
declared ones.
"""

from collections.abc import Callable
from itertools import count
from threading import Lock
from typing import Any

from django.db import connections
from django.db.models import QuerySet

_sentinels = count(-7_301_000_001, -1)


class PreparedValues:
    """``PreparedValues(build, "estate_id", "house_id")(estate_id=1, house_id=2)`` → list of dicts, as
    ``build(estate_id=1, house_id=2)`` (a ``values()`` queryset) would return them."""

    def __init__(self, build: Callable[..., QuerySet], *params: str):
        self.build = build
        self.params = params
        self._compiled: dict[str, tuple] = {}
        self._lock = Lock()

    def _compile(self, alias: str) -> tuple:
        sentinels = {name: next(_sentinels) for name in self.params}
        queryset = self.build(**sentinels)
        query = queryset.query
        compiler = query.get_compiler(alias)
        sql, sql_params = compiler.as_sql()
        # A text field's lookup passes the sentinel as text: recognise it either way.
        by_value = {**{value: name for name, value in sentinels.items()},
                    **{str(value): name for name, value in sentinels.items()}}
        order = []
        for value in sql_params:
            if value not in by_value:
                raise ValueError(f"prepared query has a parameter that is not declared: {value!r}")
            order.append(by_value[value])
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = [s[0] for s in compiler.select[0:compiler.col_count]]
        converters = compiler.get_converters(fields)
        return sql, order, names, compiler, converters

    def __call__(self, *, using: str = "default", **values: Any) -> list[dict]:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        sql, order, names, compiler, converters = compiled
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, [values[name] for name in order])
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [dict(zip(names, row, strict=True)) for row in rows]
