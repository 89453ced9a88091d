app_name = "billing"
# Staff pages (namespace "billing").
urlpatterns: list = []
# Member portal pages (namespace "billing-portal").
portal_urlpatterns: list = []
