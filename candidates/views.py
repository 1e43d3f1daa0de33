from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required


@login_required
@role_required(Role.CANDIDATE)
def my_paths(request):
    return render(request, "candidates/my_paths.html")


@login_required
@role_required(Role.EVALUATOR)
def worklist(request):
    return render(request, "candidates/worklist.html")


@login_required
@role_required(Role.PROVIDER_STAFF)
def provider_paths(request):
    return render(request, "candidates/provider_paths.html")
