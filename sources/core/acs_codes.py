"""ACS annotation values: facts of the Census Bureau's data that more than one source carries (the Census API's
responses and CDC's SVI tables, built from the ACS). They arrive in place of a number and are never read as one.

https://www.census.gov/data/developers/data-sets/acs-1year/notes-on-acs-estimate-and-annotation-values.html
"""

from __future__ import annotations

ANNOTATION_CODES: dict[str, str] = {
    "-666666666": "-666666666: estimate could not be computed (too few sample observations)",
    "-999999999": "-999999999: too few sample observations to compute a standard error",
    "-888888888": "-888888888: not applicable or not available",
    "-222222222": "-222222222: too few sample cases to compute a margin of error",
    "-333333333": "-333333333: median falls in the lowest or upper interval of an open-ended distribution",
    "-555555555": "-555555555: estimate is controlled; no sampling error (MOE 0)",
}
NULL_IN_RESPONSE = "null in response"

# What a ``get=group(<table>)`` answer puts in a variable's annotation column (``<var>EA`` beside ``<var>E``,
# ``<var>MA`` beside ``<var>M``): the symbol the Bureau prints in its tables for each code above. A live answer
# carries both the code in the value column and the symbol here; where a value column is null the symbol alone
# still says why (same page as above, "Explanation of Symbols").
ANNOTATION_SYMBOLS: dict[str, str] = {
    "-": "-666666666",
    "N": "-999999999",
    "(X)": "-888888888",
    "**": "-222222222",
    "***": "-333333333",
    "*****": "-555555555",
}
