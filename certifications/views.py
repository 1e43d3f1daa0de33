from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from cqp_portal.accounts.models import Role
from cqp_portal.decorators import role_required


@login_required
@role_required(Role.BRANCH_ADMIN)
def workspace(request):
    branches = request.user.roles.filter(role=Role.BRANCH_ADMIN).select_related("branch__opco")
    return render(request, "certifications/workspace.html", {"assignments": branches})
