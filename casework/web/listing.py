from django.core.paginator import Paginator
from django.http import HttpRequest

PAGE_SIZE = 25


def paginated(request: HttpRequest, queryset, *, page_size: int = PAGE_SIZE) -> dict:
    """Context for a list page: the page of objects and the current query without its page number."""
    page_obj = Paginator(queryset, page_size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"page_obj": page_obj, "object_list": page_obj.object_list, "querystring_without_page": query.urlencode()}
