from django.urls import path

from xiangzhi.people import views

app_name = "people"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("residents/<int:resident_id>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("key-people/", views.key_person_list, name="key_person_list"),
    path("households/<int:household_id>/changes/new/", views.household_change_new, name="change_new"),
    path("changes/", views.household_change_list, name="changes"),
    path("changes/<int:change_id>/confirm/", views.household_change_decide, {"confirm": True}, name="change_confirm"),
    path("changes/<int:change_id>/refuse/", views.household_change_decide, {"confirm": False}, name="change_refuse"),
    path("change-photos/<int:photo_id>/", views.household_change_photo, name="change_photo"),
    path("change-photos/<int:photo_id>/thumb/", views.household_change_photo, {"thumb": True}, name="change_thumb"),
    path("import/", views.household_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("export.xlsx", views.household_export, name="export"),
]
