"""Masking of personal identifiers for roles that do not need them (个人信息保护法: minimum necessary)."""


def mask_mobile(mobile: str) -> str:
    """13812341234 → 138****1234."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}{'*' * (len(mobile) - 7)}{mobile[-4:]}"


def mask_id_number(number: str) -> str:
    """110101199003071234 → 110***********1234; short documents keep only their last 4."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * (len(number) - 2) + number[-2:]
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"
