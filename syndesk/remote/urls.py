app_name = "remote"
# Staff pages (namespace "remote").
urlpatterns: list = []
# Member portal pages (namespace "remote-portal").
portal_urlpatterns: list = []
