from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET

from syndesk.catalog.models import Software
from syndesk.core.audit import history_of
from syndesk.core.forms import apply_service_error
from syndesk.core.listing import filtered_page
from syndesk.core.models import ClosureDay
from syndesk.core.permissions import MemberUserMixin, StaffPermissionMixin
from syndesk.core.scoping import get_visible_or_404
from syndesk.members.models import Member
from syndesk.members.portal import active_member

from . import ical, services
from .feeds import KIND_SLUGS, SLUG_OF_KIND, Resource, conditional
from .filters import NoticeFilterSet
from .forms import (
    AlertContactForm,
    ClosureNoticeForm,
    NoticeCloseForm,
    NoticeForm,
    NoticeUpdateForm,
    VersionNoticeForm,
)
from .models import (
    AlertSubscription,
    FeedToken,
    Notice,
    PublicationClock,
    covered_software_ids,
)

PAGE_SIZE = 20
STATUS_HISTORY_DAYS = 90
ICAL_PAST_DAYS = 365
FRESH_TOKEN_KEY = "syndesk.news.fresh_token"  # noqa: S105 - a session key name


def _with_software(queryset):
    return queryset.prefetch_related(
        Prefetch("software", queryset=Software.objects.only("pk", "name"))
    )


# Staff -----------------------------------------------------------------------------------


class NoticeListView(StaffPermissionMixin, View):
    permission_required = "news.view_notice"

    def get(self, request):
        queryset = _with_software(Notice.objects.visible_to(request.user)).order_by(
            "status", "-published_at", "-created_at", "-pk"
        )
        filterset = NoticeFilterSet(request.GET, queryset=queryset)
        context = {
            **filtered_page(request, filterset, 25),
            "version_form": VersionNoticeForm(),
            "closure_form": ClosureNoticeForm(),
        }
        return render(request, "news/notice_list.html", context)


class NoticeDetailView(StaffPermissionMixin, View):
    permission_required = "news.view_notice"

    def get(self, request, pk):
        notice = get_object_or_404(
            _with_software(Notice.objects.visible_to(request.user)).select_related("version"),
            pk=pk,
        )
        return render(
            request,
            "news/notice_detail.html",
            {
                "notice": notice,
                "updates": notice.updates.select_related("author"),
                "update_form": NoticeUpdateForm(),
                "history": history_of(notice)[:30],
            },
        )


class NoticeFormView(StaffPermissionMixin, View):
    """Write a notice (no pk) or edit one."""

    def get_permission_required(self):
        return ["news.change_notice" if "pk" in self.kwargs else "news.add_notice"]

    def _notice(self, pk):
        return get_object_or_404(Notice, pk=pk) if pk else None

    def _render(self, request, form):
        return render(request, "news/notice_form.html", {"form": form})

    def get(self, request, pk=None):
        notice = self._notice(pk)
        initial = {}
        if notice is None and request.GET.get("type") in Notice.Kind.values:
            initial["kind"] = request.GET["type"]
        return self._render(request, NoticeForm(instance=notice, initial=initial))

    def post(self, request, pk=None):
        notice = self._notice(pk)
        form = NoticeForm(request.POST, instance=notice)
        if not form.is_valid():
            return self._render(request, form)
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        try:
            if notice is None:
                notice = services.create_notice(
                    **data, software=form.cleaned_data["software"], created_by=request.user
                )
                messages.success(request, _("Brouillon enregistré."))
            else:
                if notice.is_published:
                    data.pop("kind")
                services.change_notice(
                    notice=notice,
                    software=form.cleaned_data["software"],
                    changed_by=request.user,
                    **data,
                )
                messages.success(request, _("Avis enregistré."))
        except ValidationError as exc:
            apply_service_error(form, exc)
            return self._render(request, form)
        return redirect("news:detail", pk=notice.pk)


class _NoticeActionView(StaffPermissionMixin, View):
    permission_required = "news.publish_notice"
    success_message = ""

    def act(self, request, notice):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request, pk):
        notice = get_object_or_404(Notice, pk=pk)
        try:
            self.act(request, notice)
        except services.NoticeRefused as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.success_message)
        return redirect("news:detail", pk=notice.pk)


class NoticePublishView(_NoticeActionView):
    @property
    def success_message(self):
        return _("Avis publié : il figure sur le site et dans les flux.")

    def act(self, request, notice):
        services.publish_notice(notice=notice, published_by=request.user)


class NoticeUnpublishView(_NoticeActionView):
    @property
    def success_message(self):
        return _("Avis retiré du site et des flux.")

    def act(self, request, notice):
        services.unpublish_notice(notice=notice, unpublished_by=request.user)


class NoticeFollowUpView(_NoticeActionView):
    permission_required = ["news.publish_notice", "news.add_noticeupdate"]

    @property
    def success_message(self):
        return _("Suivi publié.")

    def act(self, request, notice):
        form = NoticeUpdateForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Écrivez le message de suivi."))
        services.add_notice_update(
            notice=notice, body=form.cleaned_data["body"], author=request.user
        )


class NoticeDeleteView(_NoticeActionView):
    permission_required = "news.delete_notice"

    def post(self, request, pk):
        notice = get_object_or_404(Notice, pk=pk)
        try:
            services.delete_notice(notice=notice, deleted_by=request.user)
        except services.NoticeRefused as exc:
            messages.error(request, str(exc))
            return redirect("news:detail", pk=notice.pk)
        messages.success(request, _("Brouillon supprimé."))
        return redirect("news:list")


class NoticeCloseView(StaffPermissionMixin, View):
    permission_required = "news.publish_notice"

    def _render(self, request, notice, form):
        return render(request, "news/notice_close.html", {"notice": notice, "form": form})

    def get(self, request, pk):
        notice = get_object_or_404(Notice, pk=pk)
        return self._render(request, notice, NoticeCloseForm(notice=notice))

    def post(self, request, pk):
        notice = get_object_or_404(Notice, pk=pk)
        form = NoticeCloseForm(request.POST, notice=notice)
        if form.is_valid():
            try:
                services.close_notice(
                    notice=notice,
                    resolution=form.cleaned_data["resolution"],
                    ended_at=form.cleaned_data["ended_at"],
                    closed_by=request.user,
                )
            except services.NoticeRefused as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Avis clos."))
                return redirect("news:detail", pk=notice.pk)
        return self._render(request, notice, form)


class NoticeFromVersionView(StaffPermissionMixin, View):
    permission_required = "news.add_notice"

    def post(self, request):
        form = VersionNoticeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choisissez une version du catalogue."))
            return redirect("news:list")
        notice = services.create_version_notice(
            version=form.cleaned_data["version"], created_by=request.user
        )
        messages.success(request, _("Brouillon créé depuis le catalogue : relisez-le et publiez."))
        return redirect("news:edit", pk=notice.pk)


class NoticeFromClosureView(StaffPermissionMixin, View):
    permission_required = "news.add_notice"

    def post(self, request):
        form = ClosureNoticeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choisissez un jour de fermeture à venir."))
            return redirect("news:list")
        notice = services.create_closure_notice(
            closure=form.cleaned_data["closure"], created_by=request.user
        )
        messages.success(request, _("Brouillon créé : relisez-le et publiez."))
        return redirect("news:edit", pk=notice.pk)


class AlertContactAddView(StaffPermissionMixin, View):
    permission_required = "news.add_alertsubscription"

    def post(self, request, member):
        member = get_visible_or_404(Member.objects, request.user, pk=member)
        form = AlertContactForm(request.POST, member=member)
        if form.is_valid():
            try:
                services.subscribe_alerts(
                    member=member, contact=form.cleaned_data["contact"], subscribed_by=request.user
                )
            except services.NoticeRefused as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Le contact recevra les alertes."))
        else:
            messages.error(request, _("Choisissez un contact qui a une adresse électronique."))
        return redirect("members:detail", pk=member.pk)


class AlertDeleteView(StaffPermissionMixin, View):
    permission_required = "news.delete_alertsubscription"

    def post(self, request, pk):
        subscription = get_visible_or_404(
            AlertSubscription.objects.select_related("contact", "user", "member"),
            request.user,
            pk=pk,
        )
        services.unsubscribe_alerts(subscription=subscription, unsubscribed_by=request.user)
        messages.success(request, _("Abonnement aux alertes supprimé."))
        return redirect("members:detail", pk=subscription.member_id)


# Public pages ----------------------------------------------------------------------------


def _feed_links(*, kind: str = "", software: Software | None = None) -> list[dict]:
    """Autodiscovery <link rel="alternate"> entries for a page."""
    links = [
        {
            "title": _("Tous les avis (RSS)"),
            "type": "application/rss+xml",
            "href": reverse("news-public:feed-rss"),
        },
        {
            "title": _("Tous les avis (Atom)"),
            "type": "application/atom+xml",
            "href": reverse("news-public:feed-atom"),
        },
    ]
    if kind:
        label = Notice.Kind(KIND_SLUGS[kind]).label
        links += [
            {
                "title": f"{label} (RSS)",
                "type": "application/rss+xml",
                "href": reverse("news-public:kind-rss", args=[kind]),
            },
            {
                "title": f"{label} (Atom)",
                "type": "application/atom+xml",
                "href": reverse("news-public:kind-atom", args=[kind]),
            },
        ]
    if software is not None:
        links += [
            {
                "title": f"{software.name} (RSS)",
                "type": "application/rss+xml",
                "href": reverse("news-public:software-rss", args=[software.pk]),
            },
            {
                "title": f"{software.name} (Atom)",
                "type": "application/atom+xml",
                "href": reverse("news-public:software-atom", args=[software.pk]),
            },
        ]
    return links


@require_GET
def public_list(request):
    kind = request.GET.get("type", "")
    if kind not in KIND_SLUGS:
        kind = ""
    software = None
    if request.GET.get("logiciel", "").isdigit():
        software = Software.objects.filter(pk=request.GET["logiciel"]).first()
    queryset = _with_software(Notice.objects.published().newest_first())
    if kind:
        queryset = queryset.filter(kind=KIND_SLUGS[kind])
    if software is not None:
        queryset = queryset.filter(software=software)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "news/public_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "kind": kind,
            "kinds": [(slug, Notice.Kind(value).label) for slug, value in KIND_SLUGS.items()],
            "software": software,
            "feed_links": _feed_links(kind=kind, software=software),
        },
    )


@require_GET
def public_detail(request, pk):
    notice = get_object_or_404(
        _with_software(Notice.objects.published()).prefetch_related("updates"), pk=pk
    )
    softwares = list(notice.software.all())
    return render(
        request,
        "news/public_detail.html",
        {
            "notice": notice,
            "kind_slug": SLUG_OF_KIND[notice.kind],
            "feed_links": _feed_links(
                kind=SLUG_OF_KIND[notice.kind],
                software=softwares[0] if len(softwares) == 1 else None,
            ),
        },
    )


_SEVERITY_RANK = {Notice.Severity.MINOR: 1, Notice.Severity.DEGRADED: 2, Notice.Severity.OUTAGE: 3}


def _status_rows(softwares, ongoing, coming, now) -> list[dict]:
    """One row per software (and one for the desk's general services): its state now."""

    def state(notices_for):
        current = [n for n in ongoing if notices_for(n)]
        running = [n for n in coming if notices_for(n) and n.starts_at <= now]
        planned = [n for n in coming if notices_for(n) and n.starts_at > now]
        if current:
            worst = max(current, key=lambda n: _SEVERITY_RANK.get(n.severity, 2))
            return "outage", worst.get_severity_display() or _("Interruption en cours"), current
        if running:
            return "maintenance", _("Maintenance en cours"), running
        if planned:
            return "planned", _("Maintenance prévue"), planned
        return "ok", _("Fonctionnement normal"), []

    rows = []
    code, label, notices = state(lambda n: not n.software.all())
    rows.append(
        {"name": _("Assistance et services du syndicat"), "code": code, "label": label,
         "notices": notices, "software": None}
    )  # fmt: skip
    for software in softwares:
        code, label, notices = state(lambda n, s=software: s in n.software.all())
        rows.append(
            {"name": software.name, "code": code, "label": label, "notices": notices,
             "software": software}
        )  # fmt: skip
    return rows


@require_GET
def status_page(request):
    now = timezone.now()
    since = now - timedelta(days=STATUS_HISTORY_DAYS)
    ongoing = list(
        _with_software(Notice.objects.ongoing_interruptions(now))
        .prefetch_related("updates")
        .order_by("-starts_at", "-pk")
    )
    coming = list(
        _with_software(Notice.objects.coming_maintenance(now)).order_by("starts_at", "pk")
    )
    windowed = [Notice.Kind.INTERRUPTION, Notice.Kind.MAINTENANCE]
    history = list(
        _with_software(Notice.objects.published().filter(kind__in=windowed))
        .filter(
            Q(resolved_at__gte=since)
            | Q(resolved_at__isnull=True, kind=Notice.Kind.MAINTENANCE, ends_at__gte=since)
        )
        .exclude(pk__in=[n.pk for n in ongoing + coming])
        .order_by("-starts_at", "-pk")[:200]
    )
    softwares = list(Software.objects.filter(is_supported=True).only("pk", "name"))
    response = render(
        request,
        "news/status.html",
        {
            "now": now,
            "rows": _status_rows(softwares, ongoing, coming, now),
            "ongoing": ongoing,
            "coming": coming,
            "history": history,
            "history_days": STATUS_HISTORY_DAYS,
            "feed_links": _feed_links(kind="interruptions")[2:]
            + _feed_links(kind="maintenances")[2:],
        },
    )
    # private: the page carries the visitor's CSRF cookie and, once signed in, their name.
    patch_cache_control(response, private=True, max_age=60)
    return response


def _ical_resource(request) -> Resource:
    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    # The calendar shows a window ending today: it changes at midnight even without edits.
    return Resource(stamp=max(PublicationClock.now(), midnight), fingerprint=f"ical:{today}")


def _ical_render(request, resource: Resource) -> tuple[bytes, str]:
    since = timezone.localdate() - timedelta(days=ICAL_PAST_DAYS)
    start = timezone.make_aware(datetime.combine(since, time.min))
    maintenance = (
        _with_software(Notice.objects.published())
        .filter(kind=Notice.Kind.MAINTENANCE, ends_at__gte=start)
        .annotate(update_count=Count("updates"))
        .order_by("starts_at", "pk")
    )
    closures = ClosureDay.objects.filter(date__gte=since).order_by("date")
    events = [ical.maintenance_event(n, stamp=resource.stamp) for n in maintenance]
    events += [ical.closure_event(c, stamp=resource.stamp) for c in closures]
    body = ical.calendar(name=_("Maintenances et fermetures de l'assistance"), events=events)
    return body.encode(), "text/calendar; charset=utf-8"


ical_feed = conditional(_ical_resource, _ical_render, max_age=300)


class UnsubscribeView(View):
    """The one-click link at the foot of every alert email (GET shows, POST confirms)."""

    def _subscription(self, token):
        subscription = services.subscription_from_unsubscribe_token(token)
        if subscription is None:
            raise Http404
        return subscription

    def get(self, request, token):
        subscription = self._subscription(token)
        return render(request, "news/unsubscribe.html", {"subscription": subscription})

    def post(self, request, token):
        subscription = self._subscription(token)
        services.unsubscribe_alerts(subscription=subscription)
        return render(request, "news/unsubscribe.html", {"done": True})


# Portal ----------------------------------------------------------------------------------


def _absolute_url(name: str, token: str | None) -> str | None:
    return f"{settings.SITE_URL}{reverse(name, args=[token])}" if token else None


class PortalFeedView(MemberUserMixin, View):
    """The member's private feed (regenerate, revoke) and the user's email alerts."""

    def get(self, request):
        member = active_member(request)
        if member is None:
            return render(request, "members/portal_no_member.html", status=403)
        token = FeedToken.objects.visible_to(request.user).active().filter(member=member).first()
        fresh = request.session.pop(FRESH_TOKEN_KEY, None)
        fresh_token = fresh["token"] if fresh and fresh.get("member") == member.pk else None
        covered = list(Software.objects.filter(pk__in=covered_software_ids(member)))
        return render(
            request,
            "news/portal_feed.html",
            {
                "member": member,
                "token": token,
                "fresh_rss": _absolute_url("news-public:private-rss", fresh_token),
                "fresh_atom": _absolute_url("news-public:private-atom", fresh_token),
                "covered": covered,
                "alert": AlertSubscription.objects.visible_to(request.user)
                .filter(member=member, user=request.user)
                .first(),
            },
        )


class PortalTokenView(MemberUserMixin, View):
    def post(self, request):
        member = active_member(request)
        if member is None:
            raise Http404
        member = get_visible_or_404(Member.objects, request.user, pk=member.pk)
        if request.POST.get("action") == "revoke":
            services.revoke_feed_token(member=member, revoked_by=request.user)
            messages.success(
                request, _("Le flux privé est désactivé : son adresse ne répond plus.")
            )
        else:
            token = services.issue_feed_token(member=member, issued_by=request.user)
            request.session[FRESH_TOKEN_KEY] = {"member": member.pk, "token": token}
            messages.success(
                request,
                _("Nouvelle adresse créée ; l'ancienne, s'il y en avait une, ne répond plus."),
            )
        return redirect("news-portal:index")


class PortalAlertView(MemberUserMixin, View):
    def post(self, request):
        member = active_member(request)
        if member is None:
            raise Http404
        member = get_visible_or_404(Member.objects, request.user, pk=member.pk)
        existing = (
            AlertSubscription.objects.visible_to(request.user)
            .filter(member=member, user=request.user)
            .first()
        )
        if request.POST.get("action") == "unsubscribe":
            if existing is not None:
                services.unsubscribe_alerts(subscription=existing, unsubscribed_by=request.user)
            messages.success(request, _("Vous ne recevrez plus les alertes par courriel."))
        else:
            services.subscribe_alerts(member=member, user=request.user, subscribed_by=request.user)
            messages.success(
                request,
                _("Vous recevrez un courriel à %(email)s à chaque interruption ou maintenance.")
                % {"email": request.user.email},
            )
        return redirect("news-portal:index")
