"""Operations of the ordering chain. Each runs in a transaction and writes the audit log;
refusals are ValidationErrors with French messages (by field where one is to blame)."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from syndesk.catalog.models import Offer
from syndesk.catalog.services import NoTariff, price_for
from syndesk.core.audit import log_action
from syndesk.core.formats import long_date
from syndesk.core.numbering import next_number

from . import rules
from .models import (
    NeedRequest,
    PurchaseOrder,
    Quote,
    QuoteLine,
    Subscription,
    SubscriptionLine,
    Termination,
)

QUOTE_SERIES = "DEV"


def _d(day: date) -> str:
    return long_date(day)


# Requests ----------------------------------------------------------------------------------


@transaction.atomic
def record_request(
    *,
    member,
    received_on: date,
    channel: str,
    summary: str,
    details: str = "",
    offers=(),
    created_by,
) -> NeedRequest:
    request = NeedRequest.objects.create(
        member=member,
        received_on=received_on,
        channel=channel,
        summary=summary,
        details=details,
        created_by=created_by,
    )
    request.offers.set(offers)
    log_action(
        "contracts.request.recorded",
        actor=created_by,
        target=request,
        data={"member": member.pk, "offers": [o.code for o in offers]},
    )
    return request


@transaction.atomic
def close_request(*, request: NeedRequest, closed_by) -> NeedRequest:
    request = NeedRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != NeedRequest.Status.OPEN:
        raise ValidationError(
            _("Cette demande est à l'état « %(status)s » : elle ne peut plus être classée.")
            % {"status": request.get_status_display()}
        )
    request.status = NeedRequest.Status.CLOSED
    request.save(update_fields=["status"])
    log_action("contracts.request.closed", actor=closed_by, target=request)
    return request


# Quotes ------------------------------------------------------------------------------------


def _priced_line(quote: Quote, offer: Offer) -> QuoteLine:
    try:
        price = price_for(offer, quote.member, quote.date)
    except NoTariff as exc:
        raise ValidationError({"offers": exc.message}) from exc
    return QuoteLine(
        quote=quote,
        offer=offer,
        label=offer.name,
        unit_price=price.amount,
        computed_price=price.amount,
        explanation=price.explanation,
        grid=price.grid,
        vat_rate=offer.vat_rate,
        vat_mention=offer.vat_mention,
    )


@transaction.atomic
def create_quote(
    *,
    member,
    quote_date: date,
    offers,
    created_by,
    request: NeedRequest = None,
    notes: str = "",
    replaces: Quote | None = None,
) -> Quote:
    """A draft quote for `member`, one line per offer priced by the grid in force."""
    offers = list(offers)
    if not offers:
        raise ValidationError({"offers": _("Choisissez au moins une offre.")})
    quote = Quote(
        member=member,
        request=request,
        date=quote_date,
        valid_until=rules.quote_valid_until(quote_date),
        notes=notes,
        created_by=created_by,
        replaces=replaces,
        number=next_number(QUOTE_SERIES, quote_date.year),
    )
    lines = []
    quote.save()
    for offer in offers:
        lines.append(_priced_line(quote, offer))
    QuoteLine.objects.bulk_create(lines)
    if request is not None and request.status == NeedRequest.Status.OPEN:
        request.status = NeedRequest.Status.QUOTED
        request.save(update_fields=["status"])
    log_action(
        "contracts.quote.created",
        actor=created_by,
        target=quote,
        data={
            "member": member.pk,
            "offers": [o.code for o in offers],
            "replaces": replaces.number if replaces else None,
        },
    )
    return quote


def _require_draft(quote: Quote) -> None:
    """Lock the quote row and check, from the database, that it is still a draft."""
    current = Quote.objects.select_for_update().only("status").get(pk=quote.pk)
    if current.status != Quote.Status.DRAFT:
        raise ValidationError(_("Seul un devis en brouillon peut être modifié."))


@transaction.atomic
def change_quote_line(
    *, line: QuoteLine, unit_price, quantity, override_reason: str, changed_by
) -> QuoteLine:
    """Change a line's price or quantity; a price that differs from the grid needs a reason."""
    _require_draft(line.quote)
    override_reason = override_reason.strip()
    if (
        line.computed_price is not None
        and unit_price != line.computed_price
        and not override_reason
    ):
        raise ValidationError(
            {
                "override_reason": _(
                    "Indiquez pourquoi le prix diffère de la grille (%(price)s € HT)."
                )
                % {"price": line.computed_price}
            }
        )
    before = {"unit_price": str(line.unit_price), "quantity": str(line.quantity)}
    line.unit_price, line.quantity = unit_price, quantity
    line.override_reason = override_reason if unit_price != line.computed_price else ""
    line.save()
    log_action(
        "contracts.quote.line_changed",
        actor=changed_by,
        target=line.quote,
        data={
            "line": line.label,
            "before": before,
            "after": {"unit_price": str(unit_price), "quantity": str(quantity)},
            "reason": line.override_reason,
        },
    )
    return line


@transaction.atomic
def add_quote_line(*, quote: Quote, offer: Offer, added_by) -> QuoteLine:
    _require_draft(quote)
    if quote.lines.filter(offer=offer).exists():
        raise ValidationError({"offer": _("Cette offre figure déjà sur le devis.")})
    line = _priced_line(quote, offer)
    line.save()
    log_action(
        "contracts.quote.line_added", actor=added_by, target=quote, data={"offer": offer.code}
    )
    return line


@transaction.atomic
def remove_quote_line(*, line: QuoteLine, removed_by) -> None:
    _require_draft(line.quote)
    log_action(
        "contracts.quote.line_removed",
        actor=removed_by,
        target=line.quote,
        data={"offer": line.offer.code},
    )
    line.delete()


@transaction.atomic
def send_quote(*, quote: Quote, sent_on: date, sent_by) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    _require_draft(quote)
    if not quote.lines.exists():
        raise ValidationError(_("Le devis ne contient aucune ligne."))
    if sent_on < quote.date:
        raise ValidationError(
            {
                "sent_on": _("Un devis ne peut être envoyé avant sa date (%(date)s).")
                % {"date": _d(quote.date)}
            }
        )
    if sent_on > quote.valid_until:
        raise ValidationError(
            _("Ce devis n'est plus valable depuis le %(date)s : établissez-en un nouveau.")
            % {"date": _d(quote.valid_until)}
        )
    quote.status, quote.sent_on = Quote.Status.SENT, sent_on
    quote.save(update_fields=["status", "sent_on"])
    log_action(
        "contracts.quote.sent", actor=sent_by, target=quote, data={"sent_on": sent_on.isoformat()}
    )
    return quote


class QuoteExpired(ValidationError):
    """The signature came after the quote's validity: it must be re-issued."""


@transaction.atomic
def sign_quote(*, quote: Quote, signed_on: date, recorded_by) -> Quote:
    """Record the member's signature. The annex: a quote is valid one month from its date."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in (Quote.Status.SENT, Quote.Status.EXPIRED):
        raise ValidationError(
            _("Seul un devis envoyé peut être signé (état : %(status)s).")
            % {"status": quote.get_status_display()}
        )
    if signed_on < quote.date:
        raise ValidationError(
            {
                "signed_on": _("La signature ne peut précéder la date du devis (%(date)s).")
                % {"date": _d(quote.date)}
            }
        )
    if signed_on > quote.valid_until:
        raise QuoteExpired(
            {
                "signed_on": _(
                    "Le devis %(number)s était valable jusqu'au %(until)s : une signature du "
                    "%(signed)s ne peut être acceptée. Réémettez le devis à la date du jour."
                )
                % {"number": quote.number, "until": _d(quote.valid_until), "signed": _d(signed_on)}
            }
        )
    quote.status, quote.signed_on = Quote.Status.SIGNED, signed_on
    quote.save(update_fields=["status", "signed_on"])
    log_action(
        "contracts.quote.signed",
        actor=recorded_by,
        target=quote,
        data={"signed_on": signed_on.isoformat()},
    )
    return quote


@transaction.atomic
def refuse_quote(*, quote: Quote, recorded_by) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status in (Quote.Status.SIGNED, Quote.Status.REFUSED):
        raise ValidationError(
            _("Ce devis est déjà %(status)s.") % {"status": quote.get_status_display().lower()}
        )
    quote.status = Quote.Status.REFUSED
    quote.save(update_fields=["status"])
    log_action("contracts.quote.refused", actor=recorded_by, target=quote)
    return quote


@transaction.atomic
def reissue_quote(*, quote: Quote, quote_date: date, created_by) -> Quote:
    """A new quote with the same offers, priced at the new date; the old one is expired."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status in (Quote.Status.SIGNED,):
        raise ValidationError(_("Un devis signé ne se réémet pas."))
    new = create_quote(
        member=quote.member,
        quote_date=quote_date,
        request=quote.request,
        offers=[line.offer for line in quote.lines.select_related("offer")],
        notes=quote.notes,
        created_by=created_by,
        replaces=quote,
    )
    if quote.status != Quote.Status.REFUSED:
        quote.status = Quote.Status.EXPIRED
        quote.save(update_fields=["status"])
    log_action("contracts.quote.reissued", actor=created_by, target=quote, data={"new": new.number})
    return new


@transaction.atomic
def expire_quotes(*, today: date) -> int:
    """Daily job: quotes past their validity and not signed become expired."""
    stale = Quote.objects.filter(
        status__in=[Quote.Status.DRAFT, Quote.Status.SENT], valid_until__lt=today
    )
    count = 0
    for quote in stale.select_for_update():
        quote.status = Quote.Status.EXPIRED
        quote.save(update_fields=["status"])
        log_action("contracts.quote.expired", target=quote, data={"on": today.isoformat()})
        count += 1
    return count


# Purchase orders ---------------------------------------------------------------------------


@transaction.atomic
def record_order(
    *,
    quote: Quote,
    received_on: date,
    recorded_by,
    member_reference: str = "",
    commitment_number: str = "",
    chorus_service_code: str = "",
    signed_quote=None,
    signed_annex=None,
    originals_received_on: date | None = None,
) -> PurchaseOrder:
    quote = Quote.objects.select_for_update().select_related("member").get(pk=quote.pk)
    if quote.status != Quote.Status.SIGNED:
        raise ValidationError(
            _(
                "Le bon de commande se rapporte à un devis signé ; le devis "
                "%(number)s est à l'état « %(status)s »."
            )
            % {"number": quote.number, "status": quote.get_status_display()}
        )
    if PurchaseOrder.objects.filter(quote=quote).exists():
        raise ValidationError(_("Un bon de commande est déjà enregistré pour ce devis."))
    if received_on < quote.signed_on:
        # The subscription starts on the order's date: it cannot precede the signature.
        raise ValidationError(
            {
                "received_on": _(
                    "Le bon de commande ne peut être reçu avant la signature du devis (%(date)s)."
                )
                % {"date": _d(quote.signed_on)}
            }
        )
    order = PurchaseOrder(
        member=quote.member,
        quote=quote,
        received_on=received_on,
        member_reference=member_reference,
        commitment_number=commitment_number,
        chorus_service_code=chorus_service_code or quote.member.chorus_service_code,
        originals_received_on=originals_received_on,
        created_by=recorded_by,
    )
    if signed_quote:
        order.signed_quote = signed_quote
    if signed_annex:
        order.signed_annex = signed_annex
    order.save()
    log_action(
        "contracts.order.recorded",
        actor=recorded_by,
        target=order,
        data={"quote": quote.number, "received_on": received_on.isoformat()},
    )
    return order


@transaction.atomic
def complete_order(*, order: PurchaseOrder, changed_by, **fields) -> PurchaseOrder:
    """Add what arrived later: the signed documents, the originals' date, references."""
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status == PurchaseOrder.Status.ACCEPTED:
        raise ValidationError(_("Ce bon de commande est déjà accepté."))
    allowed = {
        "member_reference",
        "commitment_number",
        "chorus_service_code",
        "originals_received_on",
        "signed_quote",
        "signed_annex",
    }
    changed = []
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(name)
        if name in {"signed_quote", "signed_annex"} and not value:
            continue
        setattr(order, name, value)
        changed.append(name)
    order.save()
    log_action(
        "contracts.order.completed", actor=changed_by, target=order, data={"fields": changed}
    )
    return order


def missing_for_acceptance(order: PurchaseOrder) -> list[str]:
    """What the annex requires before assistance opens, and is not there yet."""
    missing = []
    if not order.signed_quote:
        missing.append(_("le devis signé"))
    if not order.signed_annex:
        missing.append(_("l'annexe des conditions particulières signée"))
    if not order.originals_received_on:
        missing.append(_("les deux originaux papier de l'annexe"))
    if order.member.commitment_number_required and not order.commitment_number:
        missing.append(_("le numéro d'engagement (obligatoire pour cet adhérent)"))
    quote = order.quote
    if (
        quote.status != Quote.Status.SIGNED
        or not quote.signed_on
        or quote.signed_on > quote.valid_until
    ):
        missing.append(_("un devis signé pendant sa validité"))
    return missing


@transaction.atomic
def accept_order(*, order: PurchaseOrder, accepted_on: date, accepted_by) -> Subscription:
    """Accept a complete order: open the subscription (start = first order's date) or add
    the order's offers to the member's open subscription."""
    order = (
        PurchaseOrder.objects.select_for_update().select_related("quote", "member").get(pk=order.pk)
    )
    if order.status == PurchaseOrder.Status.ACCEPTED:
        raise ValidationError(_("Ce bon de commande est déjà accepté."))
    missing = missing_for_acceptance(order)
    if missing:
        raise ValidationError(
            _("Le bon de commande ne peut être accepté ; il manque : %(missing)s.")
            % {"missing": " ; ".join(missing)}
        )
    subscription = (
        Subscription.objects.select_for_update()
        .filter(member=order.member)
        .exclude(status=Subscription.Status.ENDED)
        .first()
    )
    created = subscription is None
    if created:
        subscription = Subscription.objects.create(member=order.member, start=order.received_on)
    for line in order.quote.lines.select_related("offer__software"):
        SubscriptionLine.objects.get_or_create(
            subscription=subscription,
            offer=line.offer,
            defaults={"order": order, "added_on": accepted_on},
        )
        if line.offer.software_id:
            subscription.software.add(line.offer.software_id)
    order.status, order.accepted_on = PurchaseOrder.Status.ACCEPTED, accepted_on
    order.save(update_fields=["status", "accepted_on"])
    log_action(
        "contracts.order.accepted",
        actor=accepted_by,
        target=order,
        data={"subscription": subscription.pk, "created": created},
    )
    log_action(
        "contracts.subscription.opened" if created else "contracts.subscription.extended",
        actor=accepted_by,
        target=subscription,
        data={"order": order.pk, "start": subscription.start.isoformat()},
    )
    return subscription


# Subscriptions -----------------------------------------------------------------------------


@transaction.atomic
def record_termination(
    *, subscription: Subscription, received_on: date, recorded_by, letter=None
) -> Termination:
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == Subscription.Status.ENDED:
        raise ValidationError(_("Cet abonnement est déjà terminé."))
    if subscription.status == Subscription.Status.TERMINATING:
        raise ValidationError(_("Une résiliation est déjà en cours ; retirez-la d'abord."))
    if received_on < subscription.start:
        raise ValidationError(
            {
                "received_on": _(
                    "La lettre ne peut avoir été reçue avant le début de l'abonnement (%(start)s)."
                )
                % {"start": _d(subscription.start)}
            }
        )
    termination = Termination(
        subscription=subscription,
        received_on=received_on,
        created_by=recorded_by,
        last_day=rules.termination_last_day(subscription.start, received_on),
    )
    if letter:
        termination.letter = letter
    termination.save()
    subscription.status = Subscription.Status.TERMINATING
    subscription.save(update_fields=["status"])
    log_action(
        "contracts.subscription.termination_recorded",
        actor=recorded_by,
        target=subscription,
        data={"received_on": received_on.isoformat(), "last_day": termination.last_day.isoformat()},
    )
    return termination


@transaction.atomic
def withdraw_termination(
    *, termination: Termination, withdrawn_on: date, withdrawn_by
) -> Termination:
    termination = (
        Termination.objects.select_for_update()
        .select_related("subscription")
        .get(pk=termination.pk)
    )
    subscription = termination.subscription
    if termination.withdrawn_on is not None:
        raise ValidationError(_("Cette résiliation est déjà retirée."))
    if subscription.status == Subscription.Status.ENDED:
        raise ValidationError(
            _("L'abonnement est déjà terminé : la résiliation ne peut plus être retirée.")
        )
    if withdrawn_on < termination.received_on:
        raise ValidationError(
            {
                "withdrawn_on": _(
                    "Le retrait ne peut précéder la réception de la lettre (%(date)s)."
                )
                % {"date": _d(termination.received_on)}
            }
        )
    if withdrawn_on > termination.last_day:
        raise ValidationError(
            {
                "withdrawn_on": _(
                    "La résiliation a pris effet le %(date)s : elle ne peut plus être retirée."
                )
                % {"date": _d(termination.last_day)}
            }
        )
    termination.withdrawn_on = withdrawn_on
    termination.save(update_fields=["withdrawn_on"])
    subscription.status = Subscription.Status.ACTIVE
    subscription.save(update_fields=["status"])
    log_action(
        "contracts.subscription.termination_withdrawn",
        actor=withdrawn_by,
        target=subscription,
        data={"withdrawn_on": withdrawn_on.isoformat()},
    )
    return termination


@transaction.atomic
def change_subscription(
    *, subscription: Subscription, renewal: str, end_date: date | None, software, changed_by
) -> Subscription:
    if end_date is not None and end_date < subscription.start:
        raise ValidationError({"end_date": _("La date de fin précède le début de l'abonnement.")})
    subscription.renewal, subscription.end_date = renewal, end_date
    subscription.save(update_fields=["renewal", "end_date"])
    subscription.software.set(software)
    log_action(
        "contracts.subscription.changed",
        actor=changed_by,
        target=subscription,
        data={
            "renewal": renewal,
            "end_date": end_date.isoformat() if end_date else None,
            "software": sorted(s.pk for s in software),
        },
    )
    return subscription


@transaction.atomic
def renew_by_decision(*, subscription: Subscription, decided_by) -> Subscription:
    """In "renew by decision" mode, grant one more yearly period."""
    if subscription.renewal != Subscription.Renewal.DECISION:
        raise ValidationError(_("Cet abonnement se renouvelle tacitement."))
    subscription.decided_periods += 1
    subscription.save(update_fields=["decided_periods"])
    log_action(
        "contracts.subscription.renewed",
        actor=decided_by,
        target=subscription,
        data={"periods": subscription.decided_periods},
    )
    return subscription


@transaction.atomic
def end_subscriptions(*, today: date) -> int:
    """Daily job: subscriptions whose last covered day has passed end."""
    count = 0
    for subscription in (
        Subscription.objects.select_for_update()
        .exclude(status=Subscription.Status.ENDED)
        .prefetch_related("terminations")
    ):
        last = subscription.last_covered_day()
        if last is not None and last < today:
            subscription.status, subscription.ended_on = Subscription.Status.ENDED, last
            subscription.save(update_fields=["status", "ended_on"])
            log_action(
                "contracts.subscription.ended",
                target=subscription,
                data={"last_day": last.isoformat()},
            )
            count += 1
    return count


def is_entitled(member, on: date) -> bool:
    """Whether `member` may use the assistance on `on` (an open subscription covers it)."""
    subscriptions = (
        Subscription.objects.filter(member=member, start__lte=on)
        .exclude(status=Subscription.Status.ENDED)
        .prefetch_related("terminations")
    )
    return any(s.covers(on) for s in subscriptions)


def upcoming(*, today: date, days: int = 90) -> dict[str, list]:
    """Renewals and terminations due within `days` (for the staff dashboard)."""
    horizon = today + timedelta(days=days)
    renewals, terminations = [], []
    for subscription in (
        Subscription.objects.exclude(status=Subscription.Status.ENDED)
        .select_related("member")
        .prefetch_related("terminations")
    ):
        pending = subscription.pending_termination
        if pending is not None and pending.last_day <= horizon:
            terminations.append((pending.last_day, subscription, pending))
        renewal = subscription.next_renewal(today)
        if renewal is not None and renewal <= horizon:
            renewals.append((renewal, subscription))
    renewals.sort(key=lambda item: (item[0], item[1].member.name))
    terminations.sort(key=lambda item: (item[0], item[1].member.name))
    return {"renewals": renewals, "terminations": terminations}


# Staff dashboard ---------------------------------------------------------------------------

QUOTE_EXPIRY_WARNING_DAYS = 7


def dashboard_counts(
    user, *, today: date, days: int = 90, expiring_days: int = QUOTE_EXPIRY_WARNING_DAYS
) -> dict[str, int]:
    """The contract figures of the staff dashboard, as the pipeline page groups them: the
    requests to handle, the quotes sent and waiting for a signature (and those among them
    whose validity ends within ``expiring_days``), the purchase orders received and not yet
    accepted, and the terminations taking effect within ``days`` (the pipeline's
    "Échéances"). One aggregate per table (four queries), each through ``visible_to``."""
    counts = NeedRequest.objects.visible_to(user).aggregate(
        requests=Count("pk", filter=Q(status=NeedRequest.Status.OPEN))
    )
    sent = Q(status=Quote.Status.SENT)
    counts |= Quote.objects.visible_to(user).aggregate(
        quotes_sent=Count("pk", filter=sent),
        quotes_expiring=Count(
            "pk",
            filter=sent
            & Q(valid_until__gte=today, valid_until__lte=today + timedelta(days=expiring_days)),
        ),
    )
    counts |= PurchaseOrder.objects.visible_to(user).aggregate(
        orders=Count("pk", filter=Q(status=PurchaseOrder.Status.RECEIVED))
    )
    # A subscription has at most one termination not withdrawn (a unique constraint): the
    # join counts each subscription once, as upcoming() lists it.
    counts |= (
        Subscription.objects.visible_to(user)
        .exclude(status=Subscription.Status.ENDED)
        .aggregate(
            terminations=Count(
                "pk",
                filter=Q(
                    terminations__withdrawn_on__isnull=True,
                    terminations__last_day__lte=today + timedelta(days=days),
                ),
            )
        )
    )
    return counts
