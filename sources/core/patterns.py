"""Text patterns every parser checks cells against, declared once."""

from __future__ import annotations

import re

# A non-negative decimal as agencies write it: "89418", "18.2" (no sign, no exponent).
UNSIGNED_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
# Any decimal number, signed, with an optional exponent (CDC's SVI writes -999 and 1e-05).
SIGNED_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# A four-digit year.
YEAR = re.compile(r"\d{4}")
# A county FIPS code with its leading zero possibly dropped ("1001" for 01001).
COUNTY_FIPS_LOOSE = re.compile(r"\d{4,5}")
COUNTY_FIPS = re.compile(r"\d{5}")
STATE_FIPS = re.compile(r"\d{2}")
