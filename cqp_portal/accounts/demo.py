"""Demo people, one per role, with a known password printed by `make run`."""

from cqp_portal.accounts.models import Role, RoleAssignment, User

DEMO_PASSWORD = "demo-cqp-2026"

# (e-mail, first name, last name, role, scope kind, scope key, is_staff)
DEMO_USERS = [
    ("admin.hcr@demo.cqp.fr", "Hélène", "Roux", Role.BRANCH_ADMIN, "branch", "1979", False),
    ("admin.metallurgie@demo.cqp.fr", "Marc", "Lefèvre", Role.BRANCH_ADMIN, "branch", "3248", False),
    ("evaluateur@demo.cqp.fr", "Émilie", "Vasseur", Role.EVALUATOR, None, None, False),
    ("jury@demo.cqp.fr", "Jacques", "Morel", Role.JURY_MEMBER, None, None, False),
    ("organisme@demo.cqp.fr", "Olivier", "Faure", Role.PROVIDER_STAFF, "provider", "Institut Vatel Formation", False),
    ("financeur@demo.cqp.fr", "Fatima", "Benali", Role.FUNDER_OFFICER, "funder", "AKTO", False),
    ("candidat@demo.cqp.fr", "Camille", "Durand", Role.CANDIDATE, None, None, False),
    # The holders of the demo's closed jury session (juries/demo.py): a certificate and a partial award.
    ("titulaire@demo.cqp.fr", "Clara", "Esnault", Role.CANDIDATE, None, "certificat délivré", False),
    ("attestation@demo.cqp.fr", "Léon", "Fabre", Role.CANDIDATE, None, "validation partielle", False),
    ("staff@demo.cqp.fr", "Sophie", "Martin", None, None, None, True),
]


def seed_users(*, branches: dict, providers: dict, funders: dict) -> dict[str, User]:
    users = {}
    for email, first, last, role, scope_kind, scope_key, staff in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, first_name=first, last_name=last, is_staff=staff, is_superuser=staff
            )
        users[email] = user
        if role is None:
            continue
        scope = {}
        if scope_kind == "branch":
            scope["branch"] = branches[scope_key]
        elif scope_kind == "provider":
            scope["training_provider"] = providers[scope_key]
        elif scope_kind == "funder":
            scope["funder"] = funders[scope_key]
        RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
    return users


def login_lines() -> list[str]:
    rows = []
    for email, _first, _last, role, _kind, scope_key, staff in DEMO_USERS:
        label = "staff (Django admin)" if staff else str(Role(role).label)
        rows.append((label + (f" [{scope_key}]" if scope_key else ""), email))
    width = max(len(label) for label, _ in rows)
    mail_width = max(len(email) for _, email in rows)
    return [f"  {label:<{width}}  {email:<{mail_width}}  {DEMO_PASSWORD}" for label, email in rows]


def seed(context: dict) -> None:
    context["users"] = seed_users(
        branches=context["branches"], providers=context["providers"], funders=context["funders"]
    )
