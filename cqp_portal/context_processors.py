from cqp_portal.workspaces import workspaces_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_workspaces": []}
    return {"nav_workspaces": workspaces_for(user)}
