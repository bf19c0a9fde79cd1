from django.urls import path

from xiangzhi.duties import views

app_name = "duties"
urlpatterns = [
    path("", views.index, name="index"),
    path("lists/<str:kind>/", views.list_detail, name="list"),
    path("lists/<str:kind>/drafts/", views.draft_new, name="draft_new"),
    path("lists/<str:kind>/import/", views.list_import, name="import"),
    path("lists/<str:kind>/template.xlsx", views.list_template, name="template"),
    path("versions/<int:version_id>/", views.version_detail, name="version"),
    path("versions/<int:version_id>/export.xlsx", views.version_export, name="export"),
    path("versions/<int:version_id>/items/", views.item_add, name="item_add"),
    path("versions/<int:version_id>/items/<int:item_id>/", views.item_detail, name="item"),
    path("versions/<int:version_id>/items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path("versions/<int:version_id>/fields/", views.fields_set, name="fields"),
    path("versions/<int:version_id>/activate/", views.version_activate, name="activate"),
    path("versions/<int:version_id>/discard/", views.version_discard, name="discard"),
    path("compare/<int:older_id>/<int:newer_id>/", views.compare, name="compare"),
    path("townships/<str:code>/", views.township, name="township"),
]
