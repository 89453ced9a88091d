"""The inventory's pure rules: OS normalisation, version comparison, the prerequisite
check and outdated versions."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from syndesk.inventory import rules
from syndesk.inventory.licence import LicenceKey, mask
from syndesk.inventory.rules import FAIL, PASS, UNKNOWN, Req, Spec


@pytest.mark.parametrize(
    ("text", "family", "version"),
    [
        ("win10", "windows", "10"),
        ("Windows 10 Pro 22H2", "windows", "10"),
        ("Microsoft Windows 11 Professionnel", "windows", "11"),
        ("W7", "windows", "7"),
        ("Windows 8.1", "windows", "8.1"),
        ("windows xp", "windows", "XP"),
        ("Windows Server 2019 Standard", "windows_server", "2019"),
        ("Microsoft Windows Server 2012 R2", "windows_server", "2012 R2"),
        ("macOS 14.2", "macos", "14.2"),
        ("Mac OS X 10.15", "macos", "10.15"),
        ("Ubuntu 22.04 LTS", "linux", "Ubuntu 22.04"),
        ("Debian GNU/Linux 12", "linux", "Debian 12"),
    ],
)
def test_os_strings_are_normalised(text, family, version):
    assert rules.normalise_os(text) == rules.OSInfo(family, version)


@pytest.mark.parametrize("text", ["Amiga OS", "Windows 95", "windows server", "n/a", "10"])
def test_unknown_os_strings_are_refused(text):
    with pytest.raises(rules.UnknownOS):
        rules.normalise_os(text)


def test_empty_os_is_none():
    assert rules.normalise_os("  ") is None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("8.1", "10", -1),
        ("4.0.15", "4.1.0", -1),
        ("10", "10.0", 0),
        ("2026", "2025", 1),
        ("XP", "7", -1),
        ("5.1.0", "5.0.47", 1),
    ],
)
def test_compare_versions(a, b, expected):
    assert rules.compare_versions(a, b) == expected


def test_java_old_numbering():
    assert rules.java_version("1.8.0_381") == "8"
    assert rules.parse_runtimes("Java 1.8.0_381; .NET Framework 4.8") == {
        "java": "8",
        ".net": "4.8",
    }


def _spec(**kw):
    base = {"os_family": "windows", "os_version": "11", "ram_gib": Decimal(16)}
    return Spec(**{**base, **kw})


def test_check_passes_fails_and_says_why():
    reqs = [
        Req("os", "Windows", "10", source="e.magnus 2026"),
        Req("ram", min_quantity=Decimal(8)),
        Req("disk", min_quantity=Decimal(20)),
    ]
    checks = rules.check_spec(_spec(ram_gib=Decimal(4)), reqs)
    by_criterion = {c.criterion: c for c in checks}
    assert by_criterion["Mémoire vive"].status == FAIL
    assert "4 Go seulement, 8 Go demandés" in by_criterion["Mémoire vive"].reason
    assert by_criterion["Système d'exploitation"].status == PASS
    assert by_criterion["Espace disque libre"].status == UNKNOWN
    assert checks[0].status == FAIL  # failures first
    assert rules.overall(checks) == FAIL


def test_old_windows_fails_and_server_counts_as_its_desktop_kernel():
    req = Req("os", "Windows", "10")
    assert rules.check_requirement(_spec(os_version="7"), req).status == FAIL
    server = _spec(os_family="windows_server", os_version="2019")
    assert rules.check_requirement(server, req).status == PASS
    mac = _spec(os_family="macos", os_version="14")
    assert rules.check_requirement(mac, req).status == FAIL


def test_browser_and_runtime_criteria():
    browsers = Req("browser", "Navigateur récent (Firefox, Edge, Chrome)")
    assert rules.check_requirement(_spec(browser="firefox"), browsers).status == PASS
    assert rules.check_requirement(_spec(browser="ie"), browsers).status == FAIL
    assert rules.check_requirement(_spec(), browsers).status == UNKNOWN
    firefox = Req("browser", "Firefox", "115")
    assert (
        rules.check_requirement(_spec(browser="firefox", browser_version="102"), firefox).status
        == FAIL
    )
    java = Req("runtime", "Java", "8")
    assert rules.check_requirement(_spec(), java).status == UNKNOWN
    with_java = _spec(runtimes={"java": "8"}, runtimes_known=True)
    assert rules.check_requirement(with_java, java).status == PASS
    without = _spec(runtimes={".net": "4.8"}, runtimes_known=True)
    assert rules.check_requirement(without, java).status == FAIL


def test_free_text_prerequisite_is_unknown():
    check = rules.check_requirement(_spec(), Req("other", text="Certificat RGS"))
    assert check.status == UNKNOWN


def test_no_prerequisites_is_a_pass():
    assert rules.overall(rules.check_spec(_spec(), [])) == PASS


def test_outdated_versions():
    old = rules.VersionInfo(1, "2025", date(2025, 1, 6), end_of_support=date(2026, 3, 31))
    new = rules.VersionInfo(2, "2026", date(2026, 1, 5))
    state = rules.outdated(old, [old, new], date(2026, 6, 1))
    assert state.older
    assert state.past_end_of_support
    assert not rules.outdated(new, [old, new], date(2026, 6, 1)).any
    assert rules.latest_version([old, new]) == new


# Properties -----------------------------------------------------------------------------

versions = st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)


@given(versions, versions)
def test_comparison_is_antisymmetric(a, b):
    assert rules.compare_versions(a, b) == -rules.compare_versions(b, a)


@given(versions, versions, versions)
def test_comparison_is_transitive(a, b, c):
    if rules.compare_versions(a, b) <= 0 and rules.compare_versions(b, c) <= 0:
        assert rules.compare_versions(a, c) <= 0


@given(st.lists(st.integers(min_value=0, max_value=99), min_size=1, max_size=4))
def test_numeric_versions_compare_like_padded_tuples(parts):
    bigger = [*parts[:-1], parts[-1] + 1]
    assert rules.compare_versions(".".join(map(str, parts)), ".".join(map(str, bigger))) == -1


@given(
    st.decimals(min_value=Decimal("0.5"), max_value=Decimal(512), places=1),
    st.decimals(min_value=Decimal("0.5"), max_value=Decimal(512), places=1),
)
def test_more_ram_never_turns_a_pass_into_a_fail(ram, extra):
    req = Req("ram", min_quantity=Decimal(8))
    before = rules.check_requirement(_spec(ram_gib=ram), req).status
    after = rules.check_requirement(_spec(ram_gib=ram + extra), req).status
    assert not (before == PASS and after == FAIL)
    assert before == (PASS if ram >= 8 else FAIL)


@given(st.sampled_from(["7", "8", "8.1", "10", "11"]), st.sampled_from(["Pro", "Famille", ""]))
def test_normalised_label_normalises_to_itself(version, edition):
    info = rules.normalise_os(f"Windows {version} {edition}")
    assert rules.normalise_os(info.label) == info


@given(st.text(min_size=0, max_size=60).filter(lambda s: "\x00" not in s))
def test_a_licence_key_prints_only_its_last_four_characters(text):
    assume("•" not in text)
    key = LicenceKey(text)
    shown = f"{key} {key!r} {key:>10}"
    assert key.reveal() == text
    assert len(mask(text)) == len(text)
    if len(text) > 8:
        assert text not in shown
        assert mask(text).endswith(text[-4:])
