from django.conf import settings
from django.contrib import messages
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from cqp_portal.errors import DomainError, as_conflict, integrity_refusal


class DomainErrorMiddleware:
    """A DomainError escaping an HTML view becomes a message and a redirect back, never a 500.

    Services run in transaction.atomic, so nothing of the refused action was written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None
        exception = integrity_refusal(exception) or exception
        if not isinstance(exception, DomainError):
            exception = as_conflict(exception)  # django-fsm race or row lock held elsewhere
            if exception is None:
                return None
        messages.error(request, exception.message)
        target = request.META.get("HTTP_REFERER") or "/"
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return redirect(target)


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    """Pages are French unless the person chose English with the language switch (cookie).

    The browser's Accept-Language is honoured only by the API, where integrations ask for it.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
