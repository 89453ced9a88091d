"""Demo contracts: the ordering chain of about sixty demo communes, built through the services
(request → quote → signature → purchase order → acceptance), as a billing officer would.

* Sixty communes hold an active subscription to the support offer, started in 2026 (the demo
  tariffs apply from 1 January 2026); a few took options, so their software is covered, and
  one added an option by a second order. Saint-Hilaire-du-Harcouët, the commune of the demo
  portal account, is one of them, with its signed documents.
* One subscription has a termination letter in progress.
* Prospects: two open requests, a draft quote, a sent quote, and a signed quote whose
  purchase order still waits for the two paper originals of the annex.

Dates are fixed offsets from ANCHOR, moved off weekends, and never after `today` (a date
that would be in the future is brought back to `today`), so a rerun gives the same data and
the demo never shows an order received tomorrow. A member that already has a request or a
quote is left alone: running the loader twice changes nothing. EPCIs and CCAS are left out:
the demo grids price by municipal population, which only communes carry.

The "signed" scans are tiny generated PDFs, one per document, stored under the same names
on every run (an identical file already in the storage is reused, not duplicated).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from syndesk.catalog.demo import EFFECTIVE, SUPPORT_CODE
from syndesk.catalog.models import Offer
from syndesk.members.models import LegalCategory, Member

from . import services
from .models import (
    NeedRequest,
    PurchaseOrder,
    Quote,
    Subscription,
    Termination,
)

ANCHOR = date(2026, 1, 12)  # a Monday, after the demo grids' effective date (EFFECTIVE)
SUBSCRIBERS = 60
PORTAL_COMMUNE = "Saint-Hilaire-du-Harcouët"
BILLING_EMAIL = "finances@syndesk.demo"

# Options taken by some subscribers, by their position in the list (0 = first quote).
PORTAL_POSITION = 2
OPTIONS = {
    PORTAL_POSITION: ("option-teletransmission", "option-parapheur"),
    5: ("option-paie-emagnus",),
    11: ("option-paie-horizon", "option-finances-horizon"),
    17: ("option-teletransmission",),
    23: ("option-etat-civil-emagnus",),
    31: ("option-parapheur",),
    42: ("option-paie-emagnus", "option-etat-civil-emagnus"),
    53: ("option-teletransmission",),
}
EXTENDED = (1, "option-paie-emagnus", 150)  # position, option, days after ANCHOR
TERMINATING = (0, 302)  # position, letter received (days after ANCHOR)

NEEDS = [
    "Logiciels de gestion sur deux postes ; télétransmission des actes.",
    "Paie et état civil ; une secrétaire de mairie à mi-temps.",
    "Comptabilité et flux PES vers Hélios ; signature électronique du maire.",
    "Élections (REU) et état civil ; besoin d'aide à chaque mise à jour de janvier.",
]
CHANNELS = [
    NeedRequest.Channel.PHONE,
    NeedRequest.Channel.EMAIL,
    NeedRequest.Channel.MEETING,
    NeedRequest.Channel.LETTER,
]


@dataclass(frozen=True)
class Calendar:
    """Demo dates: ANCHOR + offset, moved off weekends, never after `today`."""

    today: date

    def day(self, offset: int) -> date:
        day = ANCHOR + timedelta(days=offset)
        if day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        return min(day, self.today)


# Documents ----------------------------------------------------------------------------------


def _pdf_text(line: str) -> bytes:
    encoded = line.encode("cp1252", errors="replace")
    return b"(" + encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def demo_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` (Helvetica, WinAnsi): stands for a scanned document."""
    text = b" Tj T* ".join(_pdf_text(line) for line in lines)
    stream = b"BT /F1 12 Tf 16 TL 72 770 Td " + text + b" Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stored(model, field_name: str, owner, filename: str, content: bytes) -> str:
    """Store `content` where the field would put an upload named `filename` (or reuse an
    identical file already there); its name. The services take that name as they take an
    upload: a FileField accepts either."""
    field = model._meta.get_field(field_name)
    path = field.generate_filename(owner, filename)
    if field.storage.exists(path):
        with field.storage.open(path, "rb") as handle:
            if handle.read() == content:
                return path
    return field.storage.save(path, ContentFile(content))


def _signed_documents(quote: Quote, signed_on: date) -> dict[str, str]:
    member, when = quote.member, signed_on.strftime("%d/%m/%Y")
    quote_pdf = demo_pdf(
        [
            f"Devis {quote.number} — bon pour accord",
            f"{member.name}, signé le {when}",
            f"par {member.signatory_name}, {member.signatory_title}.",
            "Document de démonstration (scan simulé).",
        ]
    )
    annex_pdf = demo_pdf(
        [
            "Annexe des conditions particulières — exemplaire signé",
            f"{member.name} — devis {quote.number}, signée le {when}.",
            "Document de démonstration (scan simulé).",
        ]
    )
    return {
        "signed_quote": _stored(
            PurchaseOrder, "signed_quote", quote, f"{quote.number}.pdf", quote_pdf
        ),
        "signed_annex": _stored(
            PurchaseOrder, "signed_annex", quote, f"annexe-{quote.number}.pdf", annex_pdf
        ),
    }


# The chain ----------------------------------------------------------------------------------


def _request(member, offers, *, received_on, position, by, summary=None) -> NeedRequest:
    return services.record_request(
        member=member,
        received_on=received_on,
        channel=CHANNELS[position % len(CHANNELS)],
        summary=summary or "Adhésion au service d'assistance",
        details=NEEDS[position % len(NEEDS)],
        offers=offers,
        created_by=by,
    )


def _signed_quote(member, offers, cal: Calendar, start: int, position: int, by, request=None):
    """Quote dated `start`, sent the same day, signed 6 to 13 days later (within validity)."""
    quote = services.create_quote(
        member=member, quote_date=cal.day(start), offers=offers, created_by=by, request=request
    )
    services.send_quote(quote=quote, sent_on=quote.date, sent_by=by)
    return services.sign_quote(
        quote=quote, signed_on=cal.day(start + 6 + position % 8), recorded_by=by
    )


def _order(quote: Quote, cal: Calendar, signed: int, position: int, by, *, originals=True):
    """The purchase order two days after the signature, the paper originals three days later."""
    received = max(cal.day(signed + 2), quote.signed_on)
    return services.record_order(
        quote=quote,
        received_on=received,
        recorded_by=by,
        member_reference=f"BC-{received.year}-{position + 101:03d}",
        commitment_number=f"EJ-{received:%y}{position + 1:04d}",
        originals_received_on=max(cal.day(signed + 5), received) if originals else None,
        **_signed_documents(quote, quote.signed_on),
    )


def _subscribe(member, position: int, offers, cal: Calendar, by) -> Subscription:
    start = 5 * position
    request = _request(member, offers, received_on=cal.day(start - 4), position=position, by=by)
    quote = _signed_quote(member, offers, cal, start, position, by, request=request)
    signed = start + 6 + position % 8
    order = _order(quote, cal, signed, position, by)
    return services.accept_order(
        order=order,
        accepted_on=max(cal.day(signed + 6), order.originals_received_on),
        accepted_by=by,
    )


def _has_contract_data(member) -> bool:
    return (
        NeedRequest.objects.filter(member=member).exists()
        or Quote.objects.filter(member=member).exists()
    )


def _communes() -> tuple[list[Member], list[Member]]:
    """The subscribers (every other priced commune, Saint-Hilaire third) and the rest."""
    communes = list(
        Member.objects.filter(
            legal_category=LegalCategory.COMMUNE, population__isnull=False, is_active=True
        ).order_by("insee_code", "pk")
    )
    portal = next((m for m in communes if m.name == PORTAL_COMMUNE), None)
    others = [m for m in communes if m != portal]
    subscribers = others[::2][: SUBSCRIBERS - (1 if portal else 0)]
    if portal is not None:
        subscribers.insert(PORTAL_POSITION, portal)
    chosen = set(subscribers)
    return subscribers, [m for m in others if m not in chosen]


def _billing_officer():
    return get_user_model().objects.filter(email=BILLING_EMAIL).first()


# One step per quote, run in the order of the quote dates so that the gapless numbers
# (DEV-2026-0001, …) follow the calendar as they would have.
Step = tuple[date, int, Callable[[], object]]


def _subscriber_steps(member, position: int, offers, cal: Calendar, by) -> list[Step]:
    support = offers[SUPPORT_CODE]
    chosen = [support, *(offers[code] for code in OPTIONS.get(position, ()))]

    def subscribe():
        subscription = _subscribe(member, position, chosen, cal, by)
        if position == TERMINATING[0]:
            received = max(cal.day(TERMINATING[1]), subscription.start)
            letter = demo_pdf(
                [
                    f"{member.name} — lettre de résiliation",
                    f"Reçue le {received:%d/%m/%Y}. Document de démonstration (scan simulé).",
                ]
            )
            services.record_termination(
                subscription=subscription,
                received_on=received,
                recorded_by=by,
                letter=_stored(
                    Termination,
                    "letter",
                    subscription,
                    f"resiliation-{member.insee_code}.pdf",
                    letter,
                ),
            )

    steps = [(cal.day(5 * position), position, subscribe)]
    if position == EXTENDED[0]:
        _, code, offset = EXTENDED
        option = [offers[code]]

        def extend():
            request = _request(
                member,
                option,
                received_on=cal.day(offset - 3),
                position=position,
                by=by,
                summary="Ajout de l'option paie",
            )
            quote = _signed_quote(member, option, cal, offset, position, by, request=request)
            order = _order(quote, cal, offset + 6 + position % 8, position, by)
            services.accept_order(
                order=order, accepted_on=order.originals_received_on, accepted_by=by
            )

        steps.append((cal.day(offset), position, extend))
    return steps


# Prospects: (what happens, offer codes, request received: days after ANCHOR).
PROSPECTS = [
    ("open", (SUPPORT_CODE,), 315),
    ("open", (SUPPORT_CODE, "option-paie-horizon"), 318),
    ("draft", (SUPPORT_CODE,), 305),
    ("sent", (SUPPORT_CODE,), 300),
    ("no-originals", (SUPPORT_CODE,), 280),
]


def _prospect_steps(member, position: int, plan, offers, cal: Calendar, by) -> list[Step]:
    """An open request, a draft quote, a sent one, or a signed one without the originals."""
    what, codes, offset = plan
    chosen = [offers[code] for code in codes]
    quote_day = offset + 5

    def run():
        request = _request(
            member,
            chosen,
            received_on=cal.day(offset),
            position=position,
            by=by,
            summary="Demande d'information sur l'assistance",
        )
        if what == "open":
            return
        if what == "no-originals":
            quote = _signed_quote(member, chosen, cal, quote_day, position, by, request=request)
            _order(quote, cal, quote_day + 6 + position % 8, position, by, originals=False)
            return
        quote = services.create_quote(
            member=member,
            quote_date=cal.day(quote_day),
            offers=chosen,
            created_by=by,
            request=request,
        )
        if what == "sent":
            services.send_quote(quote=quote, sent_on=quote.date, sent_by=by)

    return [(cal.day(quote_day), position, run)]


def _steps(offers, cal: Calendar, by) -> list[Step]:
    subscribers, others = _communes()
    steps: list[Step] = []
    for position, member in enumerate(subscribers):
        if not _has_contract_data(member):
            steps += _subscriber_steps(member, position, offers, cal, by)
    for position, (member, plan) in enumerate(
        zip(others, PROSPECTS, strict=False), start=SUBSCRIBERS
    ):
        if not _has_contract_data(member):
            steps += _prospect_steps(member, position, plan, offers, cal, by)
    return sorted(steps, key=lambda step: step[:2])


def counts() -> dict[str, int]:
    return {
        "requests": NeedRequest.objects.count(),
        "open_requests": NeedRequest.objects.filter(status=NeedRequest.Status.OPEN).count(),
        "quotes": Quote.objects.count(),
        "orders": PurchaseOrder.objects.count(),
        "subscriptions": Subscription.objects.exclude(status=Subscription.Status.ENDED).count(),
        "terminations": Termination.objects.filter(withdrawn_on__isnull=True).count(),
    }


@transaction.atomic
def load_contracts_demo(*, today: date | None = None) -> dict[str, int]:
    """Create the demo contracts (needs the demo members and catalogue); idempotent.

    Nothing is created before the demo tariffs apply (EFFECTIVE): no quote could be priced."""
    today = today or timezone.localdate()
    offers = {offer.code: offer for offer in Offer.objects.all()}
    if SUPPORT_CODE not in offers:
        raise RuntimeError("Load the demo catalogue (load_catalog_demo) before the contracts.")
    if today >= EFFECTIVE:
        for _day, _position, run in _steps(offers, Calendar(today), _billing_officer()):
            run()
    return counts()
