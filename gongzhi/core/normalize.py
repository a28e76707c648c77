"""Text normalisation for what people type: full-width digits and letters, stray and doubled spaces."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean_text(value: object) -> str:
    """NFKC folds full-width characters (１２３ → 123, Ａ → A, ＂－＂ → -); spaces are trimmed and collapsed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).replace("\u3000", " ")
    return _SPACES.sub(" ", text).strip()


def clean_compact(value: object) -> str:
    """Like clean_text, with every space removed (phone numbers, ID numbers, plates)."""
    return _SPACES.sub("", clean_text(value))
