"""French business identifiers: SIREN (9 digits) and SIRET (14 digits).

Both carry a Luhn check digit; python-stdnum implements it together with La Poste's
exception (its establishments' SIRETs have a digit sum that is a multiple of 5). Spaces
are tolerated for readability, any other character makes the input invalid.
"""

import re

from stdnum.fr import siren, siret

_DIGITS_AND_SPACES = re.compile(r"[0-9 ]+")


def compact(value: str) -> str:
    """The identifier without its spaces."""
    return value.replace(" ", "")


def is_valid_siren(s: str) -> bool:
    if not isinstance(s, str) or not _DIGITS_AND_SPACES.fullmatch(s):
        return False
    return siren.is_valid(compact(s))


def is_valid_siret(s: str) -> bool:
    if not isinstance(s, str) or not _DIGITS_AND_SPACES.fullmatch(s):
        return False
    return siret.is_valid(compact(s))
