from django.urls import path

from xiangzhi.shop import views

app_name = "shop"
urlpatterns = [
    path("", views.index, name="index"),
    path("orders/", views.order_reserve, name="reserve"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="cancel"),
    path("orders/<int:order_id>/hand-over/", views.order_hand_over, name="hand_over"),
    path("manage/", views.manage, name="manage"),
    path("manage/orders/", views.manage_orders, name="manage_orders"),
    path("manage/items/", views.item_create, name="item_create"),
    path("manage/items/<int:item_id>/", views.item_update, name="item_update"),
    path("manage/items/<int:item_id>/stock/", views.item_stock, name="item_stock"),
]
