"""Unified Social Credit Code (GB 32100-2015) validation and generation."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.uscc import (
    ALPHABET,
    USCC_WEIGHTS,
    fake_uscc,
    is_valid_uscc,
    make_uscc,
    normalise_uscc,
    org_check_char,
    uscc_check_char,
    uscc_problem,
)

EXAMPLE = "91350100M000100Y43"  # the worked example of DOMAIN.md


def test_worked_example_is_valid():
    assert uscc_problem(EXAMPLE) is None
    assert is_valid_uscc(EXAMPLE)
    assert org_check_char("M000100Y") == "4"
    assert uscc_check_char(EXAMPLE[:17]) == "3"
    assert make_uscc("350100", "M000100Y") == EXAMPLE


def test_weights_are_powers_of_three():
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_normalisation():
    assert normalise_uscc("  91350100m000100y43\n") == EXAMPLE
    assert normalise_uscc("９１350100M000100Y43") == EXAMPLE  # full-width digits from Chinese IMEs
    assert is_valid_uscc(" 91350100m000100y43 ")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "must be 18 characters, got 0"),
        (EXAMPLE[:17], "must be 18 characters, got 17"),
        (EXAMPLE + "0", "must be 18 characters, got 19"),
        ("9135I100M000100Y43", "character 'I' at position 5 not allowed (did you mean '1'?)"),
        ("91350100M0O0100Y43", "character 'O' at position 11 not allowed (did you mean '0'?)"),
        ("91350100M000100Y4-", "character '-' at position 18 not allowed"),
        (
            "S1350100M000100YZ3",
            "character 'S' at position 1 not allowed (did you mean '5'?); "
            "character 'Z' at position 17 not allowed (did you mean '2'?)",
        ),
        ("913501A0M000100Y43", "administrative division (positions 3-8) must be digits, got '3501A0'"),
        ("91350100M000100Y44", "check character (position 18) should be '3' not '4'"),
        ("91350100M000100Y4X", "check character (position 18) should be '3' not 'X'"),
    ],
)
def test_invalid_codes_say_what_is_wrong(code, message):
    assert uscc_problem(code) == message
    assert not is_valid_uscc(code)


def test_wrong_org_check_with_consistent_uscc_check():
    # Position 17 wrong, but position 18 computed over it: only the inner check catches it.
    first17 = EXAMPLE[:16] + "5"
    code = first17 + uscc_check_char(first17)
    assert uscc_problem(code) == "organisation-code check character (position 17) should be '4' not '5'"


def test_both_checks_failing_are_both_reported():
    assert uscc_problem("91350100M000100Y53") == (
        "check character (position 18) should be '6' not '3'; "
        "organisation-code check character (position 17) should be '4' not '5'"
    )


def test_org_check_x_is_a_uscc_character():
    # Org-code check value 10 is written 'X', which is in the 31-character alphabet (value 28).
    body = next(b for b in (f"{n:08d}" for n in range(1000)) if org_check_char(b) == "X")
    code = make_uscc("310117", body)
    assert code[16] == "X" and "X" in ALPHABET
    assert uscc_problem(code) is None
    wrong = code[:16] + "0" + uscc_check_char(code[:16] + "0")
    assert uscc_problem(wrong) == "organisation-code check character (position 17) should be 'X' not '0'"


def test_org_check_eleven_maps_to_zero_and_uscc_31_maps_to_zero():
    body = next(b for b in (f"{n:08d}" for n in range(1000)) if org_check_char(b) == "0")
    assert is_valid_uscc(make_uscc("310117", body))
    # Σ ≡ 0 (mod 31) gives 31 - 0 = 31, written '0'.
    codes = (make_uscc("310117", f"MA{n:06d}") for n in range(10000))
    code = next(c for c in codes if c[17] == "0")
    assert sum(ALPHABET.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS, strict=True)) % 31 == 0
    assert is_valid_uscc(code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("3101", "MA000000"), "region must be 6 digits"),
        (("310117", "MA0000"), "organisation-code body must be 8 characters"),
        (("310117", "MAI00000"), "characters not allowed in a USCC: I"),
    ],
)
def test_make_uscc_rejects_bad_parts(args, message):
    with pytest.raises(ValueError, match=message):
        make_uscc(*args)


def test_fake_uscc_is_deterministic_and_valid():
    rng, again = random.Random(7), random.Random(7)
    codes = [fake_uscc(rng) for _ in range(500)]
    assert codes == [fake_uscc(again) for _ in range(500)]
    assert all(is_valid_uscc(c) and c.startswith("91310117MA") for c in codes)
    assert len(set(codes)) == 500
    assert fake_uscc(random.Random(1), region6="350100").startswith("91350100")


alnum = st.sampled_from(ALPHABET)
parts = st.tuples(
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=8, max_size=8),
    alnum,
    alnum,
)


@given(parts)
def test_make_uscc_is_always_valid(p):
    region, body, dept, category = p
    code = make_uscc(region, body, dept, category)
    assert len(code) == 18 and uscc_problem(code) is None


# What the mathematics guarantees: 31 is prime and every weight 3^(i-1) is non-zero mod 31, so
# changing one character at positions 1-17 to another alphabet character changes Σ Ci·Wi by
# (c' - c)·Wi ≢ 0 (mod 31) and position 18 no longer matches; changing position 18 itself breaks
# the match directly; a character outside the alphabet fails the alphabet rule. Hence EVERY
# single-character substitution is detected by the overall check alone (the mod-11 organisation
# check adds nothing guaranteed: e.g. '0' -> 'B' shifts its sum by 11·w).
@given(parts, st.integers(0, 17), st.sampled_from(ALPHABET + "IOSVZ-* a"))
def test_any_single_substitution_is_detected(p, pos, new):
    code = make_uscc(*p)
    if code[pos] == new:
        return
    changed = code[:pos] + new + code[pos + 1 :]
    assert uscc_problem(changed) is not None


# Adjacent transpositions within positions 1-17 are also caught: the sum changes by
# (a - b)·(W(i) - W(i+1)) = (a - b)·W(i)·(1 - 3) ≢ 0 (mod 31). Swapping positions 17 and 18
# (the check character itself) is NOT guaranteed, so it is not asserted.
@given(parts, st.integers(0, 15))
def test_adjacent_transpositions_before_the_check_are_detected(p, pos):
    code = make_uscc(*p)
    if code[pos] == code[pos + 1]:
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert uscc_problem(swapped) is not None


def test_org_check_alone_misses_some_substitutions_the_uscc_check_catches():
    code = make_uscc("310117", "00000000")
    changed = code[:8] + "B" + code[9:]  # '0' -> 'B' (11 under GB 11714): same sum mod 11
    assert org_check_char(changed[8:16]) == code[16]
    assert (
        uscc_problem(changed)
        == f"check character (position 18) should be {uscc_check_char(changed[:17])!r} not {code[17]!r}"
    )


def _help_texts(command, path="unionflow"):
    """(where, text) of the help of every command and option of the CLI."""
    yield path, command.help or ""
    for param in command.params:
        yield f"{path} {param.name}", getattr(param, "help", None) or ""
    for name, sub in getattr(command, "commands", {}).items():
        yield from _help_texts(sub, f"{path} {name}")


def test_every_uscc_in_the_help_is_valid_and_in_the_demo_registry():
    import re

    from cli import main
    from workflow.demo_data import build_pilot

    demo = {e["uscc"] for e in build_pilot().enterprises}
    found = [(where, code) for where, text in _help_texts(main)
             for code in re.findall(r"(?<![0-9A-Za-z_])[0-9][0-9A-Z]{17}(?![0-9A-Za-z_])", text)]
    assert len(found) >= 8  # the examples of case, enterprise, assign and meeting commands
    assert [(where, code, uscc_problem(code)) for where, code in found if uscc_problem(code)] == []
    assert [(where, code) for where, code in found if code not in demo] == []
