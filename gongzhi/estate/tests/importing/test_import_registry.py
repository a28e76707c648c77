"""Importing good files: what is created, updated and left alone, in .xlsx and .csv, dry runs, modes, audit."""

import datetime
from decimal import Decimal

import pytest

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.estate.importing import import_registry
from gongzhi.estate.models import House, Person, Residency, Vehicle
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory, UnitFactory

from .conftest import (
    HOUSE_HEADERS,
    RESIDENT_HEADERS,
    VEHICLE_HEADERS,
    csv_bytes,
    house_row,
    registry_counts,
    resident_row,
    vehicle_row,
    xlsx,
)


def full_file(id_number) -> bytes:
    return xlsx({
        "房屋 houses": [HOUSE_HEADERS, house_row(), house_row(number="1501", area="120", inner=None, kind="commercial",
                                                           developer_held="是", status="unsold")],
        "住户 residents": [RESIDENT_HEADERS,
                         resident_row(id_number=id_number(1)),
                         resident_row(name="李四", mobile="13912345678", kind="family", representative=None),
                         resident_row(number="1501", name="张三", id_number=id_number(1), kind="owner")],
        "车辆 vehicles": [VEHICLE_HEADERS, vehicle_row(), vehicle_row(plate="沪AD12345", number="1501", mobile=None,
                                                                   id_number=id_number(1))],
    })


def test_a_workbook_creates_houses_residents_and_vehicles(manager, estate, id_number):
    # given a workbook with two houses, three residents rows (one owner of both houses) and two vehicles
    # when it is imported
    report = import_registry(actor=manager, filename="registry.xlsx", data=full_file(id_number))
    # then everything is created, the owner of both houses once
    assert report.ok and report.errors == []
    assert report.counts["houses"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert report.counts["persons"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert report.counts["residencies"]["created"] == 3
    assert report.counts["vehicles"]["created"] == 2
    assert report.rows == 7
    house = House.objects.get(estate=estate, number="1502")
    assert (house.building.name, house.unit.name, house.floor, house.kind) == ("3", "2", 15, "residential")
    assert (house.area_m2, house.inner_area_m2, house.area_source, house.status) == (
        Decimal("89.50"), Decimal("72.30"), "register", "occupied")
    shop = House.objects.get(estate=estate, number="1501")
    assert (shop.kind, shop.developer_held, shop.status, shop.inner_area_m2) == ("commercial", True, "unsold", None)
    owner = Person.objects.get(estate=estate, id_number=id_number(1))
    assert (owner.name, owner.mobile, owner.id_type) == ("张三", "13812345678", "resident_id")
    assert sorted(owner.residencies.values_list("house__number", "kind", "is_representative", "start_date")) == [
        ("1501", "owner", True, datetime.date(2020, 1, 1)), ("1502", "owner", True, datetime.date(2020, 1, 1))]
    assert Vehicle.objects.get(plate="沪AD12345").kind == "new_energy"
    assert Vehicle.objects.get(plate="京A12345").person == owner
    # and every created object has its audit entry, and the import itself one more
    actions = list(AuditEntry.objects.filter(estate=estate).values_list("action", flat=True))
    assert sorted(set(actions)) == ["building.create", "house.create", "person.create", "registry.import",
                                    "residency.add", "unit.create", "vehicle.register"]
    assert len(actions) == 1 + 1 + 2 + 2 + 3 + 2 + 1
    run = AuditEntry.objects.get(action="registry.import")
    assert run.after["file"] == "registry.xlsx" and run.after["sha256"] == report.sha256
    assert run.actor_id == manager.user.pk


def test_importing_the_same_file_again_changes_nothing(manager, estate, id_number):
    data = full_file(id_number)
    import_registry(actor=manager, filename="registry.xlsx", data=data)
    counts, audit = registry_counts(), AuditEntry.objects.count()
    # when the same file is imported again
    report = import_registry(actor=manager, filename="registry.xlsx", data=data)
    # then all is unchanged, nothing duplicated, only the import itself audited
    assert report.ok
    for kind in ("houses", "persons", "residencies", "vehicles"):
        assert report.counts[kind]["created"] == report.counts[kind]["updated"] == 0, kind
    assert report.counts["houses"]["unchanged"] == 2
    assert registry_counts() == counts
    assert AuditEntry.objects.count() == audit + 1


def test_a_changed_file_updates_in_place_with_before_and_after(manager, estate, id_number):
    import_registry(actor=manager, filename="registry.xlsx", data=full_file(id_number))
    # when the area of one house and the mobile of its owner change
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row(area="90.10")],
                 "住户 residents": [RESIDENT_HEADERS, resident_row(mobile="13700000000", id_number=id_number(1))]})
    report = import_registry(actor=manager, filename="registry.xlsx", data=data)
    # then they are updated, not duplicated
    assert report.counts["houses"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert report.counts["persons"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert report.counts["residencies"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert House.objects.get(number="1502").area_m2 == Decimal("90.10")
    assert Person.objects.get(id_number=id_number(1)).mobile == "13700000000"
    assert Person.objects.count() == 2
    entry = AuditEntry.objects.get(action="house.update")
    assert (entry.before["area_m2"], entry.after["area_m2"]) == ("89.50", "90.10")


def test_empty_cells_never_clear_what_the_registry_holds(manager, estate):
    import_registry(actor=manager, filename="a.xlsx", data=xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]}))
    row = house_row(inner=None, kind=None, source=None, status=None, developer_held=None, floor=None)
    report = import_registry(actor=manager, filename="a.xlsx", data=xlsx({"房屋 houses": [HOUSE_HEADERS, row]}))
    assert report.counts["houses"]["unchanged"] == 1
    assert House.objects.get().inner_area_m2 == Decimal("72.30")


def test_full_width_digits_labels_and_stray_spaces_are_normalised(manager, estate):
    # given cells as people type them
    data = xlsx({
        "房屋 houses": [HOUSE_HEADERS, ["３栋", " 2单元", "１５０２室 ", "１５", "Residential", " ８９.５ ", "７２.３㎡", "register",
                                      "occupied", " 否 "]],
        "住户 residents": [RESIDENT_HEADERS, ["3", "2", "1502", " 张  三 ", "１３８ １２３４ ５６７８", None, None, "OWNER", None,
                                          "yes", "2020/1/1"]],
        "车辆 vehicles": [VEHICLE_HEADERS, ["京ａ·１２３４５", "3", "2", "1502", "张 三", "13812345678", None, None]],
    })
    report = import_registry(actor=manager, filename="registry.xlsx", data=data)
    # then they are accepted, normalised
    assert report.ok, report.errors
    house = House.objects.get()
    assert (house.building.name, house.unit.name, house.number, house.floor) == ("3", "2", "1502", 15)
    assert (house.area_m2, house.inner_area_m2) == (Decimal("89.50"), Decimal("72.30"))
    person = Person.objects.get()
    assert (person.name, person.mobile) == ("张 三", "13812345678")
    assert Residency.objects.get().start_date == datetime.date(2020, 1, 1)
    assert Vehicle.objects.get().plate == "京A12345"


def test_headers_may_be_written_in_either_language_and_the_house_in_one_column(manager, estate):
    houses = [["Building", "单元", "number", "Building area", "套内面积"], ["5", "1", "101", "70", "60"]]
    residents = [["房屋", "name", "手机号", "relation"], ["5栋1单元101室", "王五", "13912345678", "tenant"]]
    report = import_registry(actor=manager, filename="a.xlsx", data=xlsx({"houses": houses, "住户": residents}))
    assert report.ok, report.errors
    assert Residency.objects.get().house.code == "5-1-101"


def test_csv_files_are_recognised_by_their_headers(manager, estate, id_number):
    # given three .csv files, one per kind, one of them saved by Excel in GB18030
    houses = csv_bytes([HOUSE_HEADERS, house_row()])
    residents = csv_bytes([RESIDENT_HEADERS, resident_row(id_number=id_number(3))], encoding="gb18030")
    vehicles = csv_bytes([VEHICLE_HEADERS, vehicle_row(mobile=None, id_number=id_number(3))])
    # when they are imported in order
    for name, data in (("houses.csv", houses), ("residents.csv", residents), ("vehicles.csv", vehicles)):
        report = import_registry(actor=manager, filename=name, data=data)
        assert report.ok, (name, report.errors)
    # then the residents refer to the houses and the vehicle to the person, already in the registry
    assert Residency.objects.get().person.name == "张三"
    assert Vehicle.objects.get().person.id_number == id_number(3)


def test_a_dry_run_checks_and_counts_but_writes_nothing(manager, estate, id_number):
    before = registry_counts(), AuditEntry.objects.count()
    report = import_registry(actor=manager, filename="registry.xlsx", data=full_file(id_number), dry_run=True)
    assert report.ok and report.dry_run
    assert report.counts["houses"]["created"] == 2 and report.counts["vehicles"]["created"] == 2
    assert (registry_counts(), AuditEntry.objects.count()) == before


def test_create_mode_adds_new_rows_next_to_existing_ones(manager, estate):
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    HouseFactory(unit=unit, number="0801")
    report = import_registry(actor=manager, filename="a.xlsx", mode="create",
                             data=xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]}))
    assert report.ok and report.counts["houses"]["created"] == 1
    assert report.counts["buildings"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_an_unknown_mode_is_refused(manager):
    with pytest.raises(DomainError) as caught:
        import_registry(actor=manager, filename="a.csv", data=b"x", mode="replace")
    assert caught.value.code == "invalid_mode"


@pytest.mark.parametrize("role", ["dispatcher", "technician", "finance", "owner", "committee_chair"])
def test_only_managers_and_customer_service_may_import(actor_for, estate, role):
    with pytest.raises(Forbidden):
        import_registry(actor=actor_for(role, estate), filename="a.xlsx",
                        data=xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]}))
    assert House.objects.count() == 0


def test_customer_service_may_import(actor_for, estate):
    report = import_registry(actor=actor_for("customer_service", estate), filename="a.xlsx",
                             data=xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]}))
    assert report.ok and House.objects.filter(estate=estate).count() == 1


def test_a_new_representative_takes_over_from_the_registered_one(manager, estate):
    unit = UnitFactory(building__estate=estate, building__name="3", name="2")
    house = HouseFactory(unit=unit, number="1502")
    old = ResidencyFactory(house=house, kind="co_owner", share=Decimal("0.5"), is_representative=True)
    data = xlsx({"住户 residents": [RESIDENT_HEADERS, resident_row(kind="co_owner", share="0.5", representative="是")]})
    report = import_registry(actor=manager, filename="a.xlsx", data=data)
    assert report.ok, report.errors
    old.refresh_from_db()
    assert not old.is_representative
    assert Residency.objects.get(house=house, person__name="张三").is_representative
    assert report.counts["residencies"] == {"created": 1, "updated": 1, "unchanged": 0}


def test_residents_are_linked_to_their_login_by_mobile(manager, estate, user_factory):
    user = user_factory(phone="13812345678")
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()], "住户 residents": [RESIDENT_HEADERS, resident_row()]})
    import_registry(actor=manager, filename="a.xlsx", data=data)
    assert Person.objects.get().user == user


def test_a_person_without_id_is_found_again_by_mobile_and_name(manager, estate, id_number):
    PersonFactory(estate=estate, name="张三", mobile="13812345678", id_number="", id_type="")
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()],
                 "住户 residents": [RESIDENT_HEADERS, resident_row(id_number=id_number(9))]})
    report = import_registry(actor=manager, filename="a.xlsx", data=data)
    # then the ID number is added to the registered person rather than a second 张三 created
    assert report.counts["persons"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert Person.objects.get().id_number == id_number(9)


def test_the_import_is_scoped_to_the_actors_estate(manager, estate, other_estate):
    other_unit = UnitFactory(building__estate=other_estate, building__name="3", name="2")
    HouseFactory(unit=other_unit, number="1502")
    report = import_registry(actor=manager, filename="a.xlsx", mode="create",
                             data=xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()]}))
    assert report.ok
    assert House.objects.filter(estate=estate).count() == 1
    assert House.objects.filter(estate=other_estate).count() == 1


def test_a_registered_vehicle_moves_to_a_house_and_owner_created_by_the_same_file(manager, estate):
    # given a vehicle registered without house or owner
    from gongzhi.estate.tests.factories import VehicleFactory

    vehicle = VehicleFactory(estate=estate, house=None, person=None, plate="京A12345")
    # when a file creates the house and its owner and names them for the plate
    data = xlsx({"房屋 houses": [HOUSE_HEADERS, house_row()], "住户 residents": [RESIDENT_HEADERS, resident_row()],
                 "车辆 vehicles": [VEHICLE_HEADERS, vehicle_row()]})
    report = import_registry(actor=manager, filename="a.xlsx", data=data)
    # then the vehicle is updated, not registered twice
    assert report.counts["vehicles"] == {"created": 0, "updated": 1, "unchanged": 0}
    vehicle.refresh_from_db()
    assert vehicle.house.code == "3-2-1502" and vehicle.person.name == "张三"
    assert AuditEntry.objects.get(action="vehicle.update").before["house_id"] is None
