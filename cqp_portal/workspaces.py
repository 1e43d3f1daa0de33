"""Where each role works: the navigation and the landing page after login."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cqp_portal.accounts.models import Role


@dataclass(frozen=True)
class Workspace:
    role: str
    label: str
    url_name: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


# Order matters: the first workspace a user holds is where they land after login.
WORKSPACES = [
    Workspace(Role.BRANCH_ADMIN, _("My branch"), "certifications:workspace"),
    Workspace(Role.JURY_MEMBER, _("My jury sessions"), "juries:my_sessions"),
    Workspace(Role.EVALUATOR, _("My evaluations"), "candidates:worklist"),
    Workspace(Role.PROVIDER_STAFF, _("My trainees"), "candidates:provider_paths"),
    Workspace(Role.FUNDER_OFFICER, _("Funding requests"), "financing:funder_workspace"),
    Workspace(Role.CANDIDATE, _("My path"), "candidates:my_paths"),
]


def workspaces_for(user) -> list[Workspace]:
    if not user.is_authenticated:
        return []
    roles = user.role_set
    return [w for w in WORKSPACES if w.role in roles]


def landing_url(user) -> str:
    spaces = workspaces_for(user)
    if spaces:
        return spaces[0].url
    if user.is_staff:
        return reverse("admin:index")
    return reverse("no_role")
