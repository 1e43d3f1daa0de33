from functools import wraps

from django.core.exceptions import PermissionDenied


def role_required(*roles: str):
    """The view is a workspace of these roles; staff may open it too. Object-level checks
    stay in the policy module: this only says whose workspace the page is."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_staff or any(user.has_role(role) for role in roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
