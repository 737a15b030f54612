from django.utils.translation import get_language

from .formatting import fix_date_articles


class DateArticleMiddleware:
    """Italian pages: the article before a date fits the date ("entro l'11 novembre")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            get_language() == "it"
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and not response.has_header("Content-Encoding")
        ):
            charset = response.charset or "utf-8"
            text = response.content.decode(charset, errors="replace")
            fixed = fix_date_articles(text, "it")
            if fixed != text:
                response.content = fixed.encode(charset)
                if response.has_header("Content-Length"):
                    response["Content-Length"] = str(len(response.content))
        return response
