from django.urls import path

from . import portal_views, views

app_name = "billing"
# Staff pages (namespace "billing"), mounted at /gestion/facturation/.
urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="list"),
    path("emettre-les-brouillons/", views.IssueDraftsView.as_view(), name="issue-drafts"),
    path("facturation-annuelle/", views.RunView.as_view(), name="run"),
    path("paiements/import/", views.PaymentImportView.as_view(), name="payment-import"),
    path("impayes/", views.OverdueListView.as_view(), name="overdue"),
    path("exports/", views.ExportView.as_view(), name="exports"),
    path("tableau-de-bord/", views.DashboardView.as_view(), name="dashboard"),
    path("tableau-de-bord/csv/", views.DashboardCsvView.as_view(), name="dashboard-csv"),
    path("factures/<int:pk>/", views.InvoiceDetailView.as_view(), name="detail"),
    path(
        "factures/<int:pk>/references/",
        views.DraftReferencesView.as_view(),
        name="draft-references",
    ),
    path("factures/<int:pk>/supprimer/", views.DiscardDraftView.as_view(), name="discard"),
    path("factures/<int:pk>/emettre/", views.IssueInvoiceView.as_view(), name="issue"),
    path("factures/<int:pk>/reception/", views.ReceiptView.as_view(), name="receipt"),
    path("factures/<int:pk>/paiement/", views.PaymentView.as_view(), name="payment"),
    path("factures/<int:pk>/avoir/", views.CreditNoteView.as_view(), name="credit-note"),
    path("factures/<int:pk>/relance/", views.ReminderView.as_view(), name="reminder"),
    path("factures/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="pdf"),
    path("factures/<int:pk>/facturx/", views.InvoiceFacturxView.as_view(), name="facturx"),
    path("relances/<int:pk>/lettre/", views.ReminderLetterView.as_view(), name="reminder-letter"),
]
# Member portal pages (namespace "billing-portal"), mounted at /portail/factures/.
portal_urlpatterns = [
    path("", portal_views.PortalInvoiceListView.as_view(), name="list"),
    path("<int:pk>/pdf/", portal_views.PortalInvoicePdfView.as_view(), name="pdf"),
    path("<int:pk>/facturx/", portal_views.PortalInvoiceFacturxView.as_view(), name="facturx"),
]
