from django.urls import path

from . import ticket_views, views

app_name = "kb"
# Staff pages, under /gestion/fiches/ (namespace "kb").
urlpatterns = [
    path("", views.SheetListView.as_view(), name="list"),
    path("nouvelle/", views.SheetFormView.as_view(), name="create"),
    path("<int:pk>/", views.SheetDetailView.as_view(), name="detail"),
    path("<int:pk>/modifier/", views.SheetFormView.as_view(), name="edit"),
    path("<int:pk>/publier/", views.SheetPublishView.as_view(), name="publish"),
    path("<int:pk>/retirer/", views.SheetUnpublishView.as_view(), name="unpublish"),
    path("<int:pk>/revisions/", views.RevisionDiffView.as_view(), name="diff"),
    path("<int:pk>/pieces/", views.AttachmentAddView.as_view(), name="attachment-add"),
    path(
        "<int:pk>/pieces/<int:attachment>/supprimer/",
        views.AttachmentDeleteView.as_view(),
        name="attachment-delete",
    ),
    # Sheets used from tickets (ticket_views.py).
    path("suggestions/", ticket_views.SuggestionsFragmentView.as_view(), name="suggestions"),
    path(
        "demandes/<str:reference>/fiches/",
        ticket_views.TicketSheetPanelView.as_view(),
        name="ticket-panel",
    ),
    path(
        "demandes/<str:reference>/chercher/",
        ticket_views.TicketSheetSearchView.as_view(),
        name="ticket-search",
    ),
    path(
        "demandes/<str:reference>/lier/",
        ticket_views.TicketSheetLinkView.as_view(),
        name="ticket-link",
    ),
    path(
        "demandes/<str:reference>/liens/<int:pk>/delier/",
        ticket_views.TicketSheetUnlinkView.as_view(),
        name="ticket-unlink",
    ),
    path(
        "demandes/<str:reference>/resoudre/<int:pk>/",
        ticket_views.TicketResolveBySheetView.as_view(),
        name="ticket-resolve",
    ),
]

# Mounted at /fiches/ (namespace "kb-public"): published sheets the visitor may read.
public_urlpatterns = [
    path("", views.public_list, name="list"),
    path("<slug:slug>/", views.public_detail, name="detail"),
    path("<slug:slug>/imprimer/", views.public_print, name="print"),
    path("<slug:slug>/pdf/", views.public_pdf, name="pdf"),
    path("<slug:slug>/pieces/<int:pk>/", views.attachment_file, name="attachment"),
    path("<slug:slug>/avis/", ticket_views.sheet_vote, name="vote"),
]

# Mounted at /portail/fiches/ (namespace "kb-portal"): the member's software's sheets.
portal_urlpatterns = [
    path("", ticket_views.PortalSheetListView.as_view(), name="list"),
    path("suggestions/", ticket_views.SuggestionsFragmentView.as_view(), name="suggestions"),
]
