from django.urls import path

from survey.views import next_round, publish, round_lifecycle

app_name = "publish"
urlpatterns = [
    path("rounds/", publish.round_list, name="round_list"),
    path("rounds/new/", publish.round_new, name="round_new"),
    path("rounds/<int:round_id>/", round_lifecycle.round_detail, name="round_detail"),
    path("rounds/<int:round_id>/edit/", round_lifecycle.round_edit, name="round_edit"),
    path("rounds/<int:round_id>/targets/add/", round_lifecycle.round_targets_add, name="round_targets_add"),
    path("rounds/<int:round_id>/reopen/", round_lifecycle.round_reopen, name="round_reopen"),
    path("rounds/<int:round_id>/status/", publish.round_status, name="round_status"),
    path("rounds/<int:round_id>/next/", next_round.round_next, name="round_next"),
    path("rounds/<int:round_id>/extensions/", publish.round_extensions, name="round_extensions"),
    path("rounds/<int:round_id>/extensions/<str:org_code>/", publish.target_extension, name="target_extension"),
    path("rounds/<int:round_id>/extensions/<str:org_code>/withdraw/", publish.extension_withdraw,
         name="extension_withdraw"),
]
