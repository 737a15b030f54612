from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [path("", views.index, name="index")]
for _report in views.REPORTS:
    urlpatterns += [
        path(f"{_report.slug}/", views.report_page(_report.slug), name=_report.slug),
        path(f"{_report.slug}/csv/", views.report_csv(_report.slug), name=f"{_report.slug}_csv"),
    ]
