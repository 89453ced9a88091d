from django.urls import path

from . import portal_views, report_views, views

app_name = "desk"
# Staff pages, under /gestion/assistance/ (namespace "desk"). Fixed segments come before
# the ticket reference.
urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("attribuer/", views.BulkAssignView.as_view(), name="bulk-assign"),
    path("appel/", views.CallStartView.as_view(), name="call-start"),
    path("appel/<int:pk>/", views.CallDetailView.as_view(), name="call"),
    path("appel/<int:pk>/identifier/", views.CallIdentifyView.as_view(), name="call-identify"),
    path("appel/<int:pk>/demande/", views.CallTicketView.as_view(), name="call-ticket"),
    path("appel/<int:pk>/terminer/", views.CallEndView.as_view(), name="call-end"),
    path("nouveau/", views.TicketCreateView.as_view(), name="create"),
    path("aide/droit/", views.EntitlementFragmentView.as_view(), name="entitlement"),
    path("aide/exclusions/", views.SuggestionsFragmentView.as_view(), name="suggestions"),
    path("aide/contacts/", views.ContactOptionsFragmentView.as_view(), name="contact-options"),
    path("pieces-jointes/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment"),
    path("courriels/", views.TriageListView.as_view(), name="triage"),
    path("courriels/<int:pk>/", views.TriageDetailView.as_view(), name="triage-detail"),
    path("courriels/<int:pk>/original/", views.TriageRawView.as_view(), name="triage-raw"),
    path("courriels/<int:pk>/rattacher/", views.TriageAttachView.as_view(), name="triage-attach"),
    path("courriels/<int:pk>/ouvrir/", views.TriageOpenView.as_view(), name="triage-open"),
    path("courriels/<int:pk>/ecarter/", views.TriageDismissView.as_view(), name="triage-dismiss"),
    path("exclusions/", views.ExclusionListView.as_view(), name="exclusions"),
    path("exclusions/nouvelle/", views.ExclusionFormView.as_view(), name="exclusion-create"),
    path("exclusions/<int:pk>/", views.ExclusionFormView.as_view(), name="exclusion-edit"),
    path(
        "exclusions/<int:pk>/activation/",
        views.ExclusionToggleView.as_view(),
        name="exclusion-toggle",
    ),
    path("objectifs/", views.SLATargetListView.as_view(), name="sla-targets"),
    path("objectifs/<int:priority>/", views.SLATargetFormView.as_view(), name="sla-target-edit"),
    # Reports (report_views.py): before "<str:reference>/", which would take "rapports/".
    path("rapports/", report_views.ReportIndexView.as_view(), name="reports"),
    path("rapports/<slug:report>/", report_views.ReportView.as_view(), name="report"),
    path("rapports/<slug:report>/csv/", report_views.ReportCSVView.as_view(), name="report-csv"),
    path("<str:reference>/", views.TicketDetailView.as_view(), name="ticket"),
    path("<str:reference>/repondre/", views.TicketReplyView.as_view(), name="reply"),
    path("<str:reference>/attribuer/", views.TicketAssignView.as_view(), name="assign"),
    path("<str:reference>/etat/", views.TicketStatusView.as_view(), name="status"),
    path("<str:reference>/resoudre/", views.TicketResolveView.as_view(), name="resolve"),
    path("<str:reference>/clore/", views.TicketCloseView.as_view(), name="close"),
    path("<str:reference>/rouvrir/", views.TicketReopenView.as_view(), name="reopen"),
    path("<str:reference>/temps/", views.TicketTimeView.as_view(), name="log-time"),
    path("<str:reference>/classer/", views.TicketClassifyView.as_view(), name="classify"),
    path("<str:reference>/hors-perimetre/", views.TicketRedirectView.as_view(), name="redirect"),
]

# Member portal, under /portail/demandes/ (namespace "desk-portal", see syndesk/urls.py).
portal_urlpatterns = [
    path("", portal_views.TicketListView.as_view(), name="list"),
    path("nouvelle/", portal_views.TicketCreateView.as_view(), name="create"),
    path("<str:reference>/", portal_views.TicketDetailView.as_view(), name="ticket"),
    path("<str:reference>/repondre/", portal_views.TicketReplyView.as_view(), name="reply"),
    path("<str:reference>/evaluer/", portal_views.TicketRateView.as_view(), name="rate"),
    path(
        "<str:reference>/fichiers/<int:pk>/",
        portal_views.AttachmentView.as_view(),
        name="attachment",
    ),
]
