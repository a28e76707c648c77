"""The estate registry: the tenant root (Estate) and everything that hangs off it."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.tenancy import TenantModel, TenantQuerySet

from .choices import (
    AreaSource,
    HouseKind,
    HouseStatus,
    IdType,
    LotKind,
    ResidencyKind,
    SpaceKind,
    SpaceStatus,
    VehicleKind,
)
from .jurisdiction import DEFAULT_PROFILE, JURISDICTION_PROFILES

AREA = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0.01"))]}


class Company(models.Model):
    """物业公司: runs one or many estates."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")

    def __str__(self) -> str:
        return self.name


class Estate(models.Model):
    """小区: the tenant. Every tenant-owned row points here."""

    company = models.ForeignKey(Company, verbose_name=_("property company"), on_delete=models.PROTECT,
                                related_name="estates")
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255, blank=True)
    city_code = models.CharField(_("city code"), max_length=6, blank=True,
                                 help_text=_("The six-digit administrative division code (GB/T 2260)."))
    jurisdiction = models.CharField(_("jurisdiction profile"), max_length=40, default=DEFAULT_PROFILE,
                                    choices=[(k, v["label"]) for k, v in JURISDICTION_PROFILES.items()])
    rule_overrides = models.JSONField(_("rule overrides"), default=dict, blank=True,
                                      help_text=_("Local rules that differ from the jurisdiction profile."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="estate_unique_name")]

    def __str__(self) -> str:
        return self.name

    def rules(self) -> dict:
        """The rule set in force: the jurisdiction profile's rules with this estate's overrides on top."""
        return {**JURISDICTION_PROFILES[self.jurisdiction]["rules"], **self.rule_overrides}


class Building(TenantModel):
    policy = "gongzhi.estate.policies.BuildingPolicy"

    name = models.CharField(_("building"), max_length=20, help_text=_("As written on the building, e.g. 3 or A."))
    sort_key = models.IntegerField(default=0)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["sort_key", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="building_unique_name")]

    def __str__(self) -> str:
        return _("Building %(name)s") % {"name": self.name}


class Unit(TenantModel):
    policy = "gongzhi.estate.policies.UnitPolicy"

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.PROTECT,
                                 related_name="units")
    name = models.CharField(_("unit"), max_length=20)
    sort_key = models.IntegerField(default=0)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    has_elevator = models.BooleanField(_("elevator"), default=False)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["sort_key", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "name"], name="unit_unique_name")]

    def __str__(self) -> str:
        return _("Unit %(name)s") % {"name": self.name}


class House(TenantModel):
    """户: one exclusively owned part (专有部分)."""

    policy = "gongzhi.estate.policies.HousePolicy"

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.PROTECT,
                                 related_name="houses")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="houses")
    number = models.CharField(_("house number"), max_length=20)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=HouseKind.choices, default=HouseKind.RESIDENTIAL)
    area_m2 = models.DecimalField(_("building area (m²)"), **AREA)
    inner_area_m2 = models.DecimalField(_("inner area (m²)"), null=True, blank=True, **AREA)
    area_source = models.CharField(_("area source"), max_length=16, choices=AreaSource.choices,
                                   default=AreaSource.CONTRACT)
    status = models.CharField(_("status"), max_length=16, choices=HouseStatus.choices,
                              default=HouseStatus.DELIVERED)
    developer_held = models.BooleanField(_("held by the developer"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="house_unique_number"),
            models.CheckConstraint(condition=Q(area_m2__gt=0), name="house_area_positive"),
        ]
        indexes = [models.Index(fields=["estate", "number"], name="house_estate_number")]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """The house as people write it: building-unit-number, e.g. 3-2-1502."""
        return f"{self.building.name}-{self.unit.name}-{self.number}"


class Person(TenantModel):
    """A resident or owner as the registry knows them; may or may not have a login (``user``)."""

    policy = "gongzhi.estate.policies.PersonPolicy"

    name = models.CharField(_("name"), max_length=60)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True, db_index=True)
    id_type = models.CharField(_("ID type"), max_length=16, choices=IdType.choices, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("login"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="persons")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.UniqueConstraint(fields=["estate", "id_type", "id_number"], condition=~Q(id_number=""),
                                    name="person_unique_id_number"),
        ]
        indexes = [models.Index(fields=["estate", "name"], name="person_estate_name")]

    def __str__(self) -> str:
        return self.name


class ResidencyQuerySet(TenantQuerySet):
    def current(self, on=None):
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(Q(start_date__isnull=True) | Q(start_date__lte=day),
                           Q(end_date__isnull=True) | Q(end_date__gte=day))


class Residency(TenantModel):
    """Person × house × kind, with dates. Moving out sets ``end_date``; history is never deleted."""

    policy = "gongzhi.estate.policies.ResidencyPolicy"

    house = models.ForeignKey(House, verbose_name=_("house"), on_delete=models.PROTECT, related_name="residencies")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="residencies")
    kind = models.CharField(_("kind"), max_length=16, choices=ResidencyKind.choices)
    share = models.DecimalField(_("ownership share"), max_digits=5, decimal_places=4, null=True, blank=True,
                                help_text=_("For co-owners: the fraction of the house they own."))
    is_representative = models.BooleanField(_("voting representative"), default=False)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResidencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        constraints = [
            models.UniqueConstraint(fields=["house", "person", "kind"], condition=Q(end_date__isnull=True),
                                    name="residency_one_open"),
            models.UniqueConstraint(fields=["house"], condition=Q(is_representative=True, end_date__isnull=True),
                                    name="residency_one_representative"),
            models.CheckConstraint(condition=Q(share__isnull=True) | (Q(share__gt=0) & Q(share__lte=1)),
                                   name="residency_share_fraction"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="residency_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()}"


class Vehicle(TenantModel):
    policy = "gongzhi.estate.policies.VehiclePolicy"

    plate = models.CharField(_("plate"), max_length=8)
    kind = models.CharField(_("plate kind"), max_length=16, choices=VehicleKind.choices)
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="vehicles")
    house = models.ForeignKey(House, verbose_name=_("house"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="vehicles")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(_("deregistered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.UniqueConstraint(fields=["estate", "plate"], condition=Q(ended_at__isnull=True),
                                    name="vehicle_unique_plate"),
        ]

    def __str__(self) -> str:
        return self.plate


class ParkingLot(TenantModel):
    policy = "gongzhi.estate.policies.ParkingLotPolicy"

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=LotKind.choices)
    on_common_land = models.BooleanField(
        _("on co-owned land"), default=False,
        help_text=_("Spaces on the owners' common land are co-owned (Civil Code art. 275)."))

    class Meta:
        verbose_name = _("parking lot")
        verbose_name_plural = _("parking lots")
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="lot_unique_name")]

    def __str__(self) -> str:
        return self.name


class ParkingSpace(TenantModel):
    policy = "gongzhi.estate.policies.ParkingSpacePolicy"

    lot = models.ForeignKey(ParkingLot, verbose_name=_("parking lot"), on_delete=models.PROTECT,
                            related_name="spaces")
    number = models.CharField(_("space number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=16, choices=SpaceKind.choices, default=SpaceKind.STANDARD)
    status = models.CharField(_("status"), max_length=16, choices=SpaceStatus.choices, default=SpaceStatus.FREE)
    holder = models.ForeignKey(Person, verbose_name=_("holder"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="parking_spaces")
    house = models.ForeignKey(House, verbose_name=_("house"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="parking_spaces")
    area_m2 = models.DecimalField(_("area (m²)"), null=True, blank=True, **AREA)

    class Meta:
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        constraints = [models.UniqueConstraint(fields=["lot", "number"], name="space_unique_number")]

    def __str__(self) -> str:
        return f"{self.lot.name} {self.number}"
