from django.http import Http404

from gongzhi.core.web import estate_page


@estate_page
def import_wizard(request):
    raise Http404()


@estate_page
def template_download(request):
    raise Http404()


@estate_page
def export_download(request):
    raise Http404()
