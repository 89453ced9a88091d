from hypothesis import given
from hypothesis import strategies as st

from syndesk.members.identifiers import is_valid_siren, is_valid_siret
from syndesk.members.phones import InvalidPhoneNumber, display_phone, normalize_phone


def luhn_ok(digits: str) -> bool:
    """Independent Luhn oracle: double every second digit from the right."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def test_it_accepts_a_real_siren():
    assert is_valid_siren("200067205")  # CA du Cotentin


def test_it_accepts_spaces():
    assert is_valid_siren("200 067 205")
    assert is_valid_siret("200 067 205 00011") is luhn_ok("20006720500011")


def test_it_rejects_a_wrong_check_digit():
    assert not is_valid_siren("200067206")


def test_it_rejects_other_separators_and_letters():
    assert not is_valid_siren("200.067.205")
    assert not is_valid_siren("200-067-205")
    assert not is_valid_siren("20006720A")
    assert not is_valid_siret("2000672050001\t1")


def test_it_rejects_wrong_lengths_and_empty():
    assert not is_valid_siren("")
    assert not is_valid_siren("   ")
    assert not is_valid_siren("0")
    assert not is_valid_siret("200067205")


def test_la_poste_establishments_follow_the_digit_sum_rule():
    # La Poste (SIREN 356000000): establishments valid when the digit sum is a multiple of 5.
    assert is_valid_siren("356000000")
    assert is_valid_siret("35600000000048")  # head office, Luhn
    assert is_valid_siret("35600000049837")  # digit sum 50, not Luhn
    assert not luhn_ok("35600000049837")
    assert not is_valid_siret("35600000049838")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_siren_is_exactly_luhn(digits):
    assert is_valid_siren(digits) == luhn_ok(digits)


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_siret_is_luhn_except_la_poste(digits):
    own_check = (
        sum(map(int, digits)) % 5 == 0
        if digits.startswith("356000000") and digits != "35600000000048"
        else luhn_ok(digits)
    )
    expected = own_check and luhn_ok(digits[:9])  # the SIREN inside must be valid too
    assert is_valid_siret(digits) == expected


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.data())
def test_spaces_never_change_the_answer(digits, data):
    cut = data.draw(st.integers(min_value=0, max_value=9))
    assert is_valid_siren(digits[:cut] + " " + digits[cut:]) == is_valid_siren(digits)


@given(st.text(min_size=1, max_size=16).filter(lambda s: any(c not in "0123456789 " for c in s)))
def test_anything_but_digits_and_spaces_is_invalid(text):
    assert not is_valid_siren(text)
    assert not is_valid_siret(text)


def test_phone_numbers_are_normalised_to_e164():
    assert normalize_phone("02 33 77 83 00") == "+33233778300"
    assert normalize_phone("+33 6 12 34 56 78") == "+33612345678"
    assert normalize_phone("0033233778300") == "+33233778300"
    assert display_phone("+33233778300") == "02 33 77 83 00"


def test_malformed_phone_numbers_are_refused():
    for bad in ["12", "02 33", "abcdef", "+33 0 00 00 00 00"]:
        try:
            normalize_phone(bad)
        except InvalidPhoneNumber:
            continue
        raise AssertionError(bad)


def test_the_phone_filter_shows_numbers_as_people_write_them():
    from django.template import Context, Template

    template = Template("{% load phones %}{{ a|phone }}|{{ b|phone }}|{{ c|phone }}|{{ d|phone }}")
    rendered = template.render(
        Context({"a": "+33233778300", "b": "+3225551234", "c": "", "d": "<b>0233</b>"})
    )
    assert rendered == "02 33 77 83 00|+32 2 555 12 34||&lt;b&gt;0233&lt;/b&gt;"
