app_name = "inventory"
# Staff pages (namespace "inventory").
urlpatterns: list = []
# Member portal pages (namespace "inventory-portal").
portal_urlpatterns: list = []
