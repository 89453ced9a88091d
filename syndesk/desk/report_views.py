"""The desk's reports (/gestion/assistance/rapports/): key figures, one page per report
(chart + table) and its CSV export. Permission ``desk.view_desk_reports`` (billing officers
and managers). The figures are computed in ``reports.py``."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from syndesk.core.permissions import StaffPermissionMixin

from . import reports


class _ReportView(StaffPermissionMixin, View):
    permission_required = "desk.view_desk_reports"

    def period_form(self, request) -> reports.ReportPeriodForm:
        data = request.GET if any(k in request.GET for k in ("periode", "du", "au")) else None
        return reports.ReportPeriodForm(data, today=timezone.localdate())

    def context(self, request, form, **extra) -> dict:
        return {
            "form": form,
            "period": form.period(),
            "query": form.query(),
            "menu": [(slug, label) for slug, (label, _builder) in reports.REPORTS.items()],
            **extra,
        }


class ReportIndexView(_ReportView):
    def get(self, request):
        form = self.period_form(request)
        period = form.period()
        return render(
            request,
            "desk/reports/index.html",
            self.context(request, form, summary=reports.summary(request.user, period)),
        )


class ReportView(_ReportView):
    def get(self, request, report):
        if report not in reports.REPORTS:
            raise Http404
        form = self.period_form(request)
        return render(
            request,
            "desk/reports/report.html",
            self.context(
                request,
                form,
                report=reports.build(report, request.user, form.period()),
                current=report,
            ),
        )


class ReportCSVView(_ReportView):
    def get(self, request, report):
        if report not in reports.REPORTS:
            raise Http404
        form = self.period_form(request)
        if form.is_bound and not form.is_valid():
            errors = " ".join(e for errors in form.errors.values() for e in errors)
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        built = reports.build(report, request.user, form.period())
        response = HttpResponse(reports.to_csv(built), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{built.filename}"'
        return response
