"""The back office's filtered lists: a FilterSet's rows, one page of them, and the query
string the page links keep (the filters, without the page number)."""

from django.core.paginator import Paginator


def filtered_page(request, filterset, page_size: int) -> dict:
    """The list template's context: ``filter``, ``page`` and ``query``."""
    page = Paginator(filterset.qs, page_size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"filter": filterset, "page": page, "query": query.urlencode()}
