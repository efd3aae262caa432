"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015): validation and generation.

Layout of the 18 characters (1-based positions, as in the standard and DOMAIN.md):
1 registering department, 2 organisation category, 3-8 administrative division (digits),
9-17 the organisation code (GB 11714: 8-character body + its own check character),
18 the check character over positions 1-17.

About the 'X' worry: the organisation-code check (mod 11) can come out as 10, written 'X'.
'X' IS one of the 31 USCC characters (only I, O, S, V and Z are excluded), valued 28 there, so a
USCC simply carries the GB 11714 code verbatim in positions 9-17 - nothing is remapped. The two
checks use different valuations on purpose: GB 11714 values letters A=10..Z=35 (its own older
scheme), while GB 32100 values each character by its index in the 31-character alphabet.
Example: 91350100M000100Y43 -> org code M000100Y4 (M=22, Y=34 under GB 11714, check 4) and
USCC check 3 (M=21, Y=30 under GB 32100).
"""

from __future__ import annotations

import random
import unicodedata

from templates.i18n import _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}

# Wi = 3^(i-1) mod 31 for positions 1..17.
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Characters the standard leaves out of the alphabet because they are easily confused.
_CONFUSABLE = {"I": "1", "O": "0", "S": "5", "V": "U", "Z": "2"}


def normalise_uscc(code: str) -> str:
    """Trim and upper-case; NFKC also turns full-width characters (common in Chinese input) into ASCII."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def _org_value(ch: str) -> int:
    # GB 11714: digits 0-9, letters A=10 ... Z=35 (the full Latin alphabet, no gaps).
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body."""
    total = sum(_org_value(ch) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]  # 31 maps to '0'


def uscc_problem(code: str) -> str | None:
    """None when `code` is a valid USCC, else a short description of what is wrong (in the active language).

    Positions in messages are 1-based and refer to the normalised code.
    """
    code = normalise_uscc(code)
    if len(code) != 18:
        return _("must be 18 characters, got {n}").format(n=len(code))
    bad = [
        (_("character {char!r} at position {pos} not allowed (did you mean {suggestion!r}?)") if ch in _CONFUSABLE
         else _("character {char!r} at position {pos} not allowed")).format(char=ch, pos=pos,
                                                                              suggestion=_CONFUSABLE.get(ch))
        for pos, ch in enumerate(code, start=1)
        if ch not in _VALUE
    ]
    if bad:
        return _("; ").join(bad)
    if not code[2:8].isdigit():
        return _("administrative division (positions 3-8) must be digits, got {digits!r}").format(digits=code[2:8])
    problems = []
    # Report the overall check first: it covers every position, so it is what a typo trips.
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        problems.append(_("check character (position 18) should be {expected!r} not {got!r}").format(
            expected=expected, got=code[17]))
    org_expected = org_check_char(code[8:16])
    if code[16] != org_expected:
        problems.append(
            _("organisation-code check character (position 17) should be {expected!r} not {got!r}").format(
                expected=org_expected, got=code[16])
        )
    return _("; ").join(problems) or None


def no_enterprise(code: str) -> str:
    """What to say of a USCC that matched no enterprise: why it is not a valid USCC (a typo, most often), else
    where to look; in the active language."""
    problem = uscc_problem(code)
    why = _("not a valid USCC: {problem}").format(problem=problem) if problem else _("see `unionflow enterprise list`")
    return _("no enterprise with USCC {uscc}: {why}").format(uscc=code, why=why)


def is_valid_uscc(code: str) -> bool:
    """True when `code` (normalised first) is a valid USCC."""
    return uscc_problem(code) is None


def make_uscc(region6: str, org8: str, dept: str = "9", category: str = "1") -> str:
    """Build a valid USCC: computes the organisation-code check (pos. 17) and the USCC check (pos. 18).

    `org8` is the 8-character organisation-code body; "91" is an enterprise registered by market
    regulation (工商). Raises ValueError on inputs that cannot form a valid code.
    """
    region6, org8 = normalise_uscc(region6), normalise_uscc(org8)
    dept, category = normalise_uscc(dept), normalise_uscc(category)
    if len(region6) != 6 or not region6.isdigit():
        raise ValueError(f"region must be 6 digits, got {region6!r}")
    if len(org8) != 8:
        raise ValueError(f"organisation-code body must be 8 characters, got {org8!r}")
    if len(dept) != 1 or len(category) != 1:
        raise ValueError("dept and category must be one character each")
    head = dept + category + region6 + org8
    if bad := sorted({ch for ch in head if ch not in _VALUE}):
        raise ValueError(f"characters not allowed in a USCC: {''.join(bad)}")
    first17 = head + org_check_char(org8)
    return first17 + uscc_check_char(first17)


def fake_uscc(rng: random.Random, region6: str = "310117") -> str:
    """A valid, realistic-looking enterprise USCC drawn deterministically from `rng`.

    310117 is Songjiang District, Shanghai. 31^6 bodies, so collisions are rare but possible:
    callers that need unique codes must de-duplicate.
    """
    # Post-2015 codes issued by market regulation usually have org-code bodies starting "MA".
    body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
    return make_uscc(region6, body)
