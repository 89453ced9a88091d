app_name = "desk"
urlpatterns: list = []  # staff pages, under /gestion/assistance/
portal_urlpatterns: list = []  # member portal, under /portail/demandes/
