from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("", views.PipelineView.as_view(), name="pipeline"),
    # Requests
    path("demandes/nouvelle/", views.RequestCreateView.as_view(), name="request-create"),
    path("demandes/<int:pk>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("demandes/<int:pk>/classer/", views.RequestCloseView.as_view(), name="request-close"),
    # Quotes
    path("devis/nouveau/", views.QuoteCreateView.as_view(), name="quote-create"),
    path("devis/<int:pk>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    path("devis/<int:pk>/lignes/ajouter/", views.QuoteLineAddView.as_view(), name="quote-line-add"),
    path(
        "devis/<int:pk>/lignes/<int:line>/",
        views.QuoteLineChangeView.as_view(),
        name="quote-line-change",
    ),
    path(
        "devis/<int:pk>/lignes/<int:line>/supprimer/",
        views.QuoteLineRemoveView.as_view(),
        name="quote-line-remove",
    ),
    path("devis/<int:pk>/envoyer/", views.QuoteSendView.as_view(), name="quote-send"),
    path("devis/<int:pk>/signature/", views.QuoteSignView.as_view(), name="quote-sign"),
    path("devis/<int:pk>/refus/", views.QuoteRefuseView.as_view(), name="quote-refuse"),
    path("devis/<int:pk>/reemettre/", views.QuoteReissueView.as_view(), name="quote-reissue"),
    path("devis/<int:pk>/pdf/", views.QuotePdfView.as_view(), name="quote-pdf"),
    path("devis/<int:pk>/annexe/", views.QuoteAnnexPdfView.as_view(), name="quote-annex"),
    path("adherents/<int:pk>/annexe/", views.MemberAnnexPdfView.as_view(), name="member-annex"),
    # Purchase orders
    path("devis/<int:pk>/commande/", views.OrderCreateView.as_view(), name="order-create"),
    path("commandes/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("commandes/<int:pk>/completer/", views.OrderCompleteView.as_view(), name="order-complete"),
    path("commandes/<int:pk>/accepter/", views.OrderAcceptView.as_view(), name="order-accept"),
    path(
        "commandes/<int:pk>/fichiers/<slug:document>/",
        views.OrderFileView.as_view(),
        name="order-file",
    ),
    # Subscriptions and terminations
    path(
        "abonnements/<int:pk>/", views.SubscriptionDetailView.as_view(), name="subscription-detail"
    ),
    path(
        "abonnements/<int:pk>/modifier/",
        views.SubscriptionChangeView.as_view(),
        name="subscription-change",
    ),
    path(
        "abonnements/<int:pk>/renouveler/",
        views.SubscriptionRenewView.as_view(),
        name="subscription-renew",
    ),
    path(
        "abonnements/<int:pk>/resiliation/",
        views.TerminationRecordView.as_view(),
        name="termination-record",
    ),
    path(
        "abonnements/<int:pk>/resiliation/<int:termination>/retrait/",
        views.TerminationWithdrawView.as_view(),
        name="termination-withdraw",
    ),
    path(
        "abonnements/<int:pk>/resiliation/<int:termination>/lettre/",
        views.TerminationLetterView.as_view(),
        name="termination-letter",
    ),
]

portal_urlpatterns = [
    path("", views.PortalContractView.as_view(), name="home"),
    path("devis/<int:pk>/pdf/", views.PortalQuotePdfView.as_view(), name="quote-pdf"),
    path("devis/<int:pk>/annexe/", views.PortalQuoteAnnexPdfView.as_view(), name="quote-annex"),
    path("annexe/", views.PortalAnnexPdfView.as_view(), name="annex"),
]
