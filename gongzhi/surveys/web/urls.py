"""Survey pages: the questionnaire builder, answering and results (surveys), and the owners' committee's quarterly
evaluation of the property company (evaluation)."""

from . import evaluation, surveys

app_name = "surveys"
urlpatterns = [*surveys.urlpatterns, *evaluation.urlpatterns]
