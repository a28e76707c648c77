"""Co-governance pages, one module per area: organising votes (votes_console), voting and results for owners
(votes_portal), temporary assembly requests (assembly), proposals and council meetings (council)."""

from . import assembly, council, votes_console, votes_portal

app_name = "governance"
urlpatterns = [*votes_console.urlpatterns, *votes_portal.urlpatterns, *assembly.urlpatterns, *council.urlpatterns]
