from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    STORAGE = "storage", _("Storage")
    PARKING = "parking", _("Parking")


class AreaSource(models.TextChoices):
    """Where a house's area comes from; DOMAIN.md ranks them register > survey > contract."""

    REGISTER = "register", _("Property register")
    SURVEY = "survey", _("Survey")
    CONTRACT = "contract", _("Purchase contract")


class HouseStatus(models.TextChoices):
    UNSOLD = "unsold", _("Unsold")
    DELIVERED = "delivered", _("Delivered")
    OCCUPIED = "occupied", _("Occupied")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other travel permit")


class ResidencyKind(models.TextChoices):
    OWNER = "owner", _("Owner")
    CO_OWNER = "co_owner", _("Co-owner")
    FAMILY = "family", _("Family member")
    TENANT = "tenant", _("Tenant")


OWNER_KINDS = frozenset({ResidencyKind.OWNER, ResidencyKind.CO_OWNER})


class VehicleKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary plate")
    NEW_ENERGY = "new_energy", _("New-energy plate")


class LotKind(models.TextChoices):
    ABOVE_GROUND = "above_ground", _("Above ground")
    UNDERGROUND = "underground", _("Underground")


class SpaceKind(models.TextChoices):
    STANDARD = "standard", _("Standard")
    CHARGING = "charging", _("With charger")
    ACCESSIBLE = "accessible", _("Accessible")
    MECHANICAL = "mechanical", _("Mechanical")


class SpaceStatus(models.TextChoices):
    SOLD = "sold", _("Sold")
    RENTED = "rented", _("Rented")
    FREE = "free", _("Free")
