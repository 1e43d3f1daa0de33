"""People and their roles. A person logs in by e-mail and may hold several roles; roles
that act on an organisation (branch, training provider, funder) name it."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("Staff see and do everything, including the Django admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    language = models.CharField(
        _("language"), max_length=8, default="fr", choices=[("fr", "Français"), ("en", "English")]
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def role_assignments(self) -> tuple[tuple[str, int | None, int | None, int | None], ...]:
        """``(role, branch_id, training_provider_id, funder_id)`` of every role held, cached on
        the instance: one query per request serves the role checks, the navigation and the
        permission policy (cqp_portal.policy.roles)."""
        if not hasattr(self, "_role_rows"):
            rows = self.roles.values_list("role", "branch_id", "training_provider_id", "funder_id") if self.pk else ()
            self._role_rows = tuple(rows)
        return self._role_rows

    @property
    def role_set(self) -> set[str]:
        return {row[0] for row in self.role_assignments}

    def forget_roles(self) -> None:
        """Drop the cached roles (after granting or removing one on this same instance)."""
        self.__dict__.pop("_role_rows", None)

    def has_role(self, role: str) -> bool:
        return role in self.role_set


class Role(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    BRANCH_ADMIN = "branch_admin", _("Branch administrator")
    EVALUATOR = "evaluator", _("Evaluator")
    JURY_MEMBER = "jury_member", _("Jury member")
    PROVIDER_STAFF = "provider_staff", _("Training provider staff")
    FUNDER_OFFICER = "funder_officer", _("Funder officer")


class RoleAssignment(models.Model):
    """One role held by one person; scoped roles name their organisation.

    Staff is not a role row: it is ``User.is_staff``, the flag the Django admin uses.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    branch = models.ForeignKey(
        "certifications.Branch", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("branch")
    )
    training_provider = models.ForeignKey(
        "certifications.TrainingProvider",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        verbose_name=_("training provider"),
    )
    funder = models.ForeignKey(
        "financing.Funder", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("funder")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(role="branch_admin", branch__isnull=False, training_provider__isnull=True, funder__isnull=True)
                    | Q(
                        role="provider_staff", branch__isnull=True, training_provider__isnull=False, funder__isnull=True
                    )
                    | Q(
                        role="funder_officer", branch__isnull=True, training_provider__isnull=True, funder__isnull=False
                    )
                    | Q(
                        role__in=["candidate", "evaluator", "jury_member"],
                        branch__isnull=True,
                        training_provider__isnull=True,
                        funder__isnull=True,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "branch", "training_provider", "funder"],
                name="unique_role_assignment",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        scope = self.branch or self.training_provider or self.funder
        return f"{self.get_role_display()} ({scope})" if scope else self.get_role_display()


class TokenSecondFactor(models.Model):
    """Marks an integration token (``POST /api/v1/auth/token/``) obtained with the second
    factor. For the roles that require it, a token without this mark is refused: tokens made
    from the password alone before the rule existed stop working until a code is given."""

    token = models.OneToOneField(
        "authtoken.Token", primary_key=True, on_delete=models.CASCADE, related_name="second_factor"
    )
    verified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("second factor of an API token")
        verbose_name_plural = _("second factors of API tokens")

    def __str__(self) -> str:
        return f"{self.token_id[:6]}… ({self.verified_at:%Y-%m-%d})"


class PersonalAccessToken(models.Model):
    """A named API token with an expiry, made from a (verified) web session and revocable from
    the same page. Only the SHA-256 of the key is kept: the key is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("start of the key"), max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
