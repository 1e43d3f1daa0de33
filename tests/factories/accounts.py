import factory

from cqp_portal.accounts.models import RoleAssignment, User

TEST_PASSWORD = "password-for-tests"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)


def with_role(role: str, user: User | None = None, **scope) -> User:
    user = user or UserFactory()
    RoleAssignment.objects.create(user=user, role=role, **scope)
    user.forget_roles()
    return user
