from django.contrib import admin

from gongzhi.core.admin import AuditedAdmin, HistoryAdmin

from .models import (
    Building,
    Company,
    Estate,
    House,
    ParkingLot,
    ParkingSpace,
    Person,
    Residency,
    Unit,
    Vehicle,
)


@admin.register(Company)
class CompanyAdmin(AuditedAdmin):
    list_display = ("name", "credit_code", "created_at")
    search_fields = ("name", "credit_code")


@admin.register(Estate)
class EstateAdmin(HistoryAdmin):
    list_display = ("name", "company", "city_code", "jurisdiction", "created_at")
    list_filter = ("company", "jurisdiction")
    search_fields = ("name", "address")


@admin.register(Building)
class BuildingAdmin(HistoryAdmin):
    list_display = ("name", "estate", "floors")
    list_filter = ("estate",)


@admin.register(Unit)
class UnitAdmin(HistoryAdmin):
    list_display = ("name", "building", "estate", "floors", "has_elevator")
    list_filter = ("estate",)
    list_select_related = ("building",)


@admin.register(House)
class HouseAdmin(HistoryAdmin):
    list_display = ("code", "estate", "kind", "area_m2", "area_source", "status", "developer_held")
    list_filter = ("estate", "kind", "status", "area_source", "developer_held")
    search_fields = ("number",)
    list_select_related = ("building", "unit", "estate")
    raw_id_fields = ("building", "unit")


@admin.register(Person)
class PersonAdmin(HistoryAdmin):
    list_display = ("name", "estate", "id_type", "has_login")
    list_filter = ("estate", "id_type")
    search_fields = ("name", "mobile")
    raw_id_fields = ("user",)

    @admin.display(boolean=True, description="login")
    def has_login(self, obj):
        return obj.user_id is not None


@admin.register(Residency)
class ResidencyAdmin(HistoryAdmin):
    list_display = ("person", "house", "kind", "share", "is_representative", "start_date", "end_date")
    list_filter = ("estate", "kind", "is_representative")
    list_select_related = ("person", "house__building", "house__unit")
    raw_id_fields = ("house", "person")


@admin.register(Vehicle)
class VehicleAdmin(HistoryAdmin):
    list_display = ("plate", "kind", "estate", "person", "house", "ended_at")
    list_filter = ("estate", "kind")
    search_fields = ("plate",)
    list_select_related = ("person", "house__building", "house__unit", "estate")
    raw_id_fields = ("person", "house")


@admin.register(ParkingLot)
class ParkingLotAdmin(HistoryAdmin):
    list_display = ("name", "estate", "kind", "on_common_land")
    list_filter = ("estate", "kind")


@admin.register(ParkingSpace)
class ParkingSpaceAdmin(HistoryAdmin):
    list_display = ("number", "lot", "estate", "kind", "status", "holder")
    list_filter = ("estate", "kind", "status")
    list_select_related = ("lot", "holder", "estate")
    raw_id_fields = ("holder", "house")
