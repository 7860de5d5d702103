"""Which time zones a phone number may be in (from its prefix; no network, no I/O)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as number_timezone

UNKNOWN_ZONE = "Etc/Unknown"


@lru_cache(maxsize=65536)
def zones_for_number(e164: str) -> tuple[str, ...]:
    """Every IANA zone the number's prefix covers; empty when none is known."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = number_timezone.time_zones_for_number(parsed)
    return tuple(z for z in zones if z != UNKNOWN_ZONE)
