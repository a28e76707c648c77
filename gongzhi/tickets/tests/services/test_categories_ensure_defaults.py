"""The default categories: ten, with their priorities and SLA targets; a manager adds them once."""

import pytest
from django.utils import translation

from gongzhi.core.errors import Forbidden
from gongzhi.tickets.models import Category
from gongzhi.tickets.selectors import category_list
from gongzhi.tickets.services import categories_ensure_defaults


def test_a_manager_adds_the_ten_default_categories_once(desk):
    # when the manager adds the defaults (in English), twice
    with translation.override("en"):
        created = categories_ensure_defaults(actor=desk.manager)
        again = categories_ensure_defaults(actor=desk.manager)
    # then the ten exist once each, next to the estate's own
    assert len(created) == 10 and again == []
    names = {c.name: c for c in category_list(actor=desk.resident)}
    assert len(names) == 11
    # and a leak or a lift is an emergency with a five-minute response
    for name in ("Plumbing", "Elevator"):
        assert (names[name].default_priority, names[name].response_minutes) == ("emergency", 5)
    assert all(c.response_minutes < c.resolution_minutes for c in names.values())


def test_only_a_manager_adds_categories(desk):
    with pytest.raises(Forbidden):
        categories_ensure_defaults(actor=desk.dispatcher)
    assert Category.objects.count() == 1


def test_categories_are_per_estate(desk, other_estate, actor_for):
    categories_ensure_defaults(actor=actor_for("manager", other_estate))
    assert [c.name for c in category_list(actor=desk.resident)] == [desk.category.name]
