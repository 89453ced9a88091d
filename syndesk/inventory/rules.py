"""Inventory rules (pure: no database, no request).

- Operating-system, browser and runtime strings as members and GLPI write them, normalised
  ("win10", "Microsoft Windows 10 Professionnel 22H2" -> Windows 10). An OS string that
  cannot be recognised is refused (``UnknownOS``): a wrong "Windows 7" read as "unknown"
  would hide an obsolete workstation.
- Version comparison ("8.1" < "10", "4.0.15" < "4.1.0", Java's "1.8" = 8).
- The prerequisite check: a workstation or a planned purchase (a ``Spec``) against the
  structured vendor prerequisites of software versions (``Req``), criterion by criterion:
  pass, fail or unknown, each with its reason in French.
- Outdated versions: older than the latest one of the software, or past end of support.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PASS = "pass"  # noqa: S105 (a check result, not a password)
FAIL = "fail"
UNKNOWN = "unknown"

WINDOWS = "windows"
WINDOWS_SERVER = "windows_server"
MACOS = "macos"
LINUX = "linux"
OS_FAMILIES = {
    WINDOWS: "Windows",
    WINDOWS_SERVER: "Windows Server",
    MACOS: "macOS",
    LINUX: "Linux",
}

# Versions -------------------------------------------------------------------------------

_NAMED = {"xp": "5.1", "vista": "6.0"}


def version_key(number: str) -> tuple:
    """A sortable key: numbers compare as numbers, words before numbers at the same place,
    trailing zeros ignored ("10" == "10.0")."""
    text = (number or "").strip().lower()
    text = _NAMED.get(text, text)
    parts: list[tuple[int, int | str]] = []
    for token in re.findall(r"\d+|[a-z]+", text):
        parts.append((1, int(token)) if token.isdigit() else (0, token))
    while parts and parts[-1] == (1, 0):
        parts.pop()
    return tuple(parts)


def compare_versions(a: str, b: str) -> int:
    """-1 when a < b, 0 when equal, 1 when a > b."""
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def java_version(number: str) -> str:
    """Java's old numbering: "1.8.0_381" is Java 8."""
    match = re.match(r"^\s*1\.(\d+)", number or "")
    return match.group(1) if match else (number or "").strip()


# Operating systems ------------------------------------------------------------------------


class UnknownOS(ValueError):
    """The string names no operating system Syndesk knows."""


@dataclass(frozen=True)
class OSInfo:
    family: str
    version: str

    @property
    def label(self) -> str:
        if self.family == LINUX:
            return self.version
        return f"{OS_FAMILIES[self.family]} {self.version}".strip()


_SERVER = re.compile(r"server\s*(2008|2012|2016|2019|2022|2025)(\s*r2)?")
_WINDOWS = re.compile(r"\b(?:microsoft\s*)?w(?:in(?:dows)?)?\s*(xp|vista|7|8\.1|8|10|11)(?!\d)")
_MACOS = re.compile(r"\b(?:mac\s*os\s*x?|macos|os\s*x)\s*(\d+(?:\.\d+)?)")
_LINUX = re.compile(
    r"\b(ubuntu|debian|linux mint|red hat enterprise linux|rhel|rocky linux|almalinux|fedora)"
    r"\s*(?:gnu/linux\s*)?(\d+(?:\.\d+)?)"
)
_LINUX_NAMES = {
    "ubuntu": "Ubuntu",
    "debian": "Debian",
    "linux mint": "Linux Mint",
    "red hat enterprise linux": "RHEL",
    "rhel": "RHEL",
    "rocky linux": "Rocky Linux",
    "almalinux": "AlmaLinux",
    "fedora": "Fedora",
}
_WINDOWS_LABELS = {"xp": "XP", "vista": "Vista"}
# The desktop Windows a server edition shares its kernel with (for "Windows 10 or later").
SERVER_AS_DESKTOP = {
    "2008": "7",
    "2008 R2": "7",
    "2012": "8",
    "2012 R2": "8.1",
    "2016": "10",
    "2019": "10",
    "2022": "10",
    "2025": "11",
}


@lru_cache(maxsize=1024)
def normalise_os(text: str) -> OSInfo | None:
    """The OS a free-text string names; None for an empty string; UnknownOS otherwise."""
    raw = " ".join((text or "").lower().replace("_", " ").split())
    if not raw:
        return None
    if match := _SERVER.search(raw):
        version = match.group(1) + (" R2" if match.group(2) else "")
        return OSInfo(WINDOWS_SERVER, version)
    if match := _WINDOWS.search(raw):
        if "server" in raw:
            raise UnknownOS(text)
        token = match.group(1)
        return OSInfo(WINDOWS, _WINDOWS_LABELS.get(token, token))
    if match := _MACOS.search(raw):
        return OSInfo(MACOS, match.group(1))
    if match := _LINUX.search(raw):
        return OSInfo(LINUX, f"{_LINUX_NAMES[match.group(1)]} {match.group(2)}")
    raise UnknownOS(text)


def os_label(family: str, version: str) -> str:
    if not family:
        return ""
    return OSInfo(family, version).label


# Browsers and runtimes --------------------------------------------------------------------

BROWSERS = {
    "firefox": "Firefox",
    "edge": "Edge",
    "chrome": "Chrome",
    "chromium": "Chromium",
    "safari": "Safari",
    "opera": "Opera",
    "ie": "Internet Explorer",
}
_BROWSER_WORDS = [
    ("internet explorer", "ie"),
    ("firefox", "firefox"),
    ("edge", "edge"),
    ("chromium", "chromium"),
    ("chrome", "chrome"),
    ("safari", "safari"),
    ("opera", "opera"),
]


def normalise_browser(text: str) -> tuple[str, str]:
    """'Mozilla Firefox 128.0 ESR' -> ('firefox', '128.0'); ('', '') when empty or unknown."""
    raw = (text or "").lower()
    for word, family in _BROWSER_WORDS:
        if word in raw:
            match = re.search(r"(\d+(?:\.\d+)*)", raw)
            return family, match.group(1) if match else ""
    return "", ""


def browsers_named(text: str) -> set[str]:
    raw = (text or "").lower()
    found = set()
    for word, family in _BROWSER_WORDS:
        if word in raw:
            found.add(family)
            raw = raw.replace(word, " ")
    return found


_RUNTIME_ALIASES = {
    "java": "java",
    "jre": "java",
    "jdk": "java",
    "openjdk": "java",
    ".net": ".net",
    "dotnet": ".net",
    ".net framework": ".net",
    "net framework": ".net",
    "python": "python",
    "php": "php",
}


def runtime_name(name: str) -> str:
    key = " ".join((name or "").lower().split())
    return _RUNTIME_ALIASES.get(key, key)


def parse_runtimes(text: str) -> dict[str, str]:
    """'Java 1.8; .NET Framework 4.8' -> {'java': '8', '.net': '4.8'} (';' or ',' between)."""
    found: dict[str, str] = {}
    for item in re.split(r"[;,\n]", text or ""):
        item = item.strip()
        if not item:
            continue
        match = re.match(r"^(.*?)\s*v?(\d[\w.]*)?$", item)
        name = runtime_name(match.group(1) if match else item)
        version = (match.group(2) or "") if match else ""
        if name == "java":
            version = java_version(version)
        if name:
            found[name] = version
    return found


# The check --------------------------------------------------------------------------------


@dataclass
class Spec:
    """What a workstation has (or what a planned purchase will have); None/'' = not known."""

    os_family: str = ""
    os_version: str = ""
    cpu_cores: int | None = None
    ram_gib: Decimal | None = None
    free_disk_gib: Decimal | None = None
    browser: str = ""
    browser_version: str = ""
    runtimes: dict[str, str] = field(default_factory=dict)
    runtimes_known: bool = False


@dataclass(frozen=True)
class Req:
    """A vendor prerequisite (catalog.Prerequisite without the database)."""

    kind: str  # os, cpu, ram, disk, browser, runtime, other
    component: str = ""
    min_version: str = ""
    min_quantity: Decimal | None = None
    text: str = ""
    source: str = ""  # the software version it comes from ("e.magnus 2026")


@dataclass(frozen=True)
class Check:
    criterion: str
    requirement: str
    status: str
    reason: str
    source: str = ""


def _quantity(value) -> str:
    try:
        return f"{Decimal(value).normalize():f}".replace(".", ",")
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


_CRITERIA = {
    "os": gettext_lazy("Système d'exploitation"),
    "cpu": gettext_lazy("Processeur"),
    "ram": gettext_lazy("Mémoire vive"),
    "disk": gettext_lazy("Espace disque libre"),
    "browser": gettext_lazy("Navigateur"),
    "runtime": gettext_lazy("Environnement d'exécution"),
}


def _criterion(kind: str) -> str:
    return str(_CRITERIA.get(kind, gettext_lazy("Autre")))


def _requirement(req: Req) -> str:
    if req.kind == "ram":
        return _("%(n)s Go au moins") % {"n": _quantity(req.min_quantity)}
    if req.kind == "disk":
        return _("%(n)s Go libres au moins") % {"n": _quantity(req.min_quantity)}
    if req.kind == "cpu" and req.min_quantity is not None:
        return _("%(n)s cœurs au moins") % {"n": _quantity(req.min_quantity)}
    parts = [req.component]
    if req.min_version:
        parts.append(_("%(v)s ou ultérieure") % {"v": req.min_version})
    if req.text:
        parts.append(req.text)
    return " ".join(p for p in parts if p) or "—"


def _check_quantity(req: Req, have, unit: str, missing: str) -> tuple[str, str]:
    if req.min_quantity is None:
        return UNKNOWN, _("Prérequis sans valeur minimale : à vérifier.")
    if have is None:
        return UNKNOWN, missing
    values = {
        "have": f"{_quantity(have)} {unit}",
        "need": f"{_quantity(req.min_quantity)} {unit}",
    }
    if Decimal(have) >= Decimal(req.min_quantity):
        return PASS, _("%(have)s pour %(need)s demandés.") % values
    return FAIL, _("%(have)s seulement, %(need)s demandés.") % values


def _check_os(req: Req, spec: Spec) -> tuple[str, str]:
    if not spec.os_family:
        return UNKNOWN, _("Système d'exploitation non renseigné.")
    try:
        wanted = normalise_os(f"{req.component} {req.min_version}")
    except UnknownOS:
        wanted = None
    have = OSInfo(spec.os_family, spec.os_version)
    if wanted is None:
        return UNKNOWN, _("Prérequis « %(req)s » à vérifier manuellement.") % {
            "req": _requirement(req)
        }
    family, version = have.family, have.version
    if wanted.family == WINDOWS and family == WINDOWS_SERVER:
        family, version = WINDOWS, SERVER_AS_DESKTOP.get(version, version)
    if wanted.family != family:
        return FAIL, _("%(have)s au lieu de %(want)s.") % {
            "have": have.label,
            "want": OS_FAMILIES[wanted.family],
        }
    if wanted.family == LINUX and wanted.version.split()[0] != version.split()[0]:
        return FAIL, _("%(have)s au lieu de %(want)s.") % {
            "have": have.label,
            "want": wanted.label,
        }
    want_version = wanted.version.split()[-1] if wanted.family == LINUX else wanted.version
    have_version = version.split()[-1] if family == LINUX else version
    if not req.min_version or compare_versions(have_version, want_version) >= 0:
        return PASS, _("%(have)s convient.") % {"have": have.label}
    return FAIL, _("%(have)s est antérieur à %(want)s.") % {
        "have": have.label,
        "want": wanted.label,
    }


def _check_browser(req: Req, spec: Spec) -> tuple[str, str]:
    if not spec.browser:
        return UNKNOWN, _("Navigateur non renseigné.")
    label = BROWSERS.get(spec.browser, spec.browser)
    named = browsers_named(req.component)
    if named and spec.browser not in named:
        return FAIL, _("%(have)s ne fait pas partie des navigateurs pris en charge.") % {
            "have": label
        }
    if spec.browser == "ie":
        return FAIL, _("Internet Explorer n'est plus maintenu.")
    if req.min_version:
        if not spec.browser_version:
            return UNKNOWN, _("Version de %(have)s non renseignée.") % {"have": label}
        if compare_versions(spec.browser_version, req.min_version) < 0:
            return FAIL, _("%(have)s %(v)s est antérieur à la version %(min)s.") % {
                "have": label,
                "v": spec.browser_version,
                "min": req.min_version,
            }
    return PASS, _("%(have)s convient.") % {"have": f"{label} {spec.browser_version}".strip()}


def _check_runtime(req: Req, spec: Spec) -> tuple[str, str]:
    name = runtime_name(req.component)
    if not spec.runtimes_known:
        return UNKNOWN, _("Environnements d'exécution non renseignés.")
    if name not in spec.runtimes:
        return FAIL, _("%(name)s n'est pas installé.") % {"name": req.component}
    have = spec.runtimes[name]
    want = java_version(req.min_version) if name == "java" else req.min_version
    if not want:
        return PASS, _("%(name)s est installé.") % {"name": req.component}
    if not have:
        return UNKNOWN, _("Version de %(name)s non renseignée.") % {"name": req.component}
    if compare_versions(have, want) >= 0:
        return PASS, _("%(name)s %(have)s convient.") % {"name": req.component, "have": have}
    return FAIL, _("%(name)s %(have)s est antérieur à la version %(want)s.") % {
        "name": req.component,
        "have": have,
        "want": want,
    }


def check_requirement(spec: Spec, req: Req) -> Check:
    if req.kind == "os":
        status, reason = _check_os(req, spec)
    elif req.kind == "ram":
        status, reason = _check_quantity(
            req, spec.ram_gib, _("Go"), _("Mémoire vive non renseignée.")
        )
    elif req.kind == "disk":
        status, reason = _check_quantity(
            req, spec.free_disk_gib, _("Go"), _("Espace disque libre non renseigné.")
        )
    elif req.kind == "cpu":
        status, reason = _check_quantity(
            req, spec.cpu_cores, _("cœurs"), _("Nombre de cœurs du processeur non renseigné.")
        )
    elif req.kind == "browser":
        status, reason = _check_browser(req, spec)
    elif req.kind == "runtime":
        status, reason = _check_runtime(req, spec)
    else:
        status, reason = UNKNOWN, _("À vérifier manuellement.")
    return Check(_criterion(req.kind), _requirement(req), status, reason, req.source)


def check_spec(spec: Spec, reqs: Iterable[Req]) -> list[Check]:
    """One result per prerequisite, failures first."""
    order = {FAIL: 0, UNKNOWN: 1, PASS: 2}
    checks = [check_requirement(spec, req) for req in reqs]
    return sorted(checks, key=lambda c: order[c.status])


def overall(checks: Iterable[Check]) -> str:
    """fail if any criterion fails, unknown if any is unknown, pass otherwise."""
    statuses = {c.status for c in checks}
    if FAIL in statuses:
        return FAIL
    if UNKNOWN in statuses:
        return UNKNOWN
    return PASS


# Outdated versions ------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    pk: int
    number: str
    release_date: date | None = None
    end_of_support: date | None = None


def latest_version(versions: Iterable[VersionInfo]) -> VersionInfo | None:
    """The highest version number (release date breaks ties)."""
    return max(
        versions,
        key=lambda v: (version_key(v.number), v.release_date or date.min),
        default=None,
    )


@dataclass(frozen=True)
class Outdated:
    older: bool
    past_end_of_support: bool

    @property
    def any(self) -> bool:
        return self.older or self.past_end_of_support


def outdated(installed: VersionInfo, versions: Iterable[VersionInfo], today: date) -> Outdated:
    latest = latest_version(versions)
    older = latest is not None and (
        latest.pk != installed.pk
        and (version_key(installed.number), installed.release_date or date.min)
        < (version_key(latest.number), latest.release_date or date.min)
    )
    past = installed.end_of_support is not None and installed.end_of_support < today
    return Outdated(older=older, past_end_of_support=past)
