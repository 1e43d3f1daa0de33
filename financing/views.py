from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required


@login_required
@role_required(Role.FUNDER_OFFICER)
def funder_workspace(request):
    return render(request, "financing/funder_workspace.html")
