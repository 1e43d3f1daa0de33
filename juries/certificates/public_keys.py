"""What anyone needs to check a badge offline: the issuer's DID document (its public keys)
and the signed revocation status lists. Public, cacheable for a short while."""

from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from juries.certificates.models import Certificate
from juries.certificates.signing import jose
from juries.certificates.signing import status_list as bitstring

# A revocation shows within this delay in the status list a verifier caches.
STATUS_LIST_MAX_AGE = 300


@require_GET
@cache_control(public=True, max_age=3600)
def did_document(request):
    return JsonResponse(jose.did_document(), content_type="application/did+json")


@require_GET
@cache_control(public=True, max_age=STATUS_LIST_MAX_AGE)
def status_list(request, list_number: int):
    last = Certificate.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    if list_number > status_list_position(last):
        raise Http404
    credential = bitstring.status_list_credential(list_number)
    if request.GET.get("format") == "json":
        # Readable form for people; verifiers take the signed default.
        return JsonResponse(credential, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(jose.sign_credential(credential), content_type="application/vc+jwt")


def status_list_position(certificate_id: int) -> int:
    return bitstring.position(certificate_id)[0]
