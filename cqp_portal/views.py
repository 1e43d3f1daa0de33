from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from cqp_portal.workspaces import landing_url


def home(request):
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    return redirect("login")


@login_required
def workspace(request):
    return redirect(landing_url(request.user))


@login_required
def no_role(request):
    return render(request, "no_role.html")
