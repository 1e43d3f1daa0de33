"""Rules for candidates and their paths."""

from django.db.models import Q

from cqp_portal.accounts.models import Role
from cqp_portal.policy import rule, scope_contributor
from cqp_portal.policy.roles import admin_branch_ids, provider_ids


@scope_contributor("candidates.path", joins=False)
def _paths(user):
    # Conditions on the path's own columns (subqueries, no joins): PostgreSQL tests them row by
    # row against hashed id lists instead of joining 100,000 paths to their candidates and
    # certification branches (the paths API list went from ~300 ms to ~40 ms at volume).
    from candidates.models import Candidate
    from certifications.models import Certification

    q = (
        Q(candidate_id__in=Candidate.objects.filter(user=user).values("pk"))
        | Q(evaluator=user)
        | Q(workplace_tutor=user)
    )
    if provider_ids(user):
        q |= Q(training_provider_id__in=provider_ids(user))
    if admin_branch_ids(user):
        owned = Certification.branches.through.objects.filter(branch_id__in=admin_branch_ids(user))
        q |= Q(certification_id__in=owned.values("certification_id"))
    return q


@scope_contributor("candidates.candidate")
def _candidates(user):
    q = Q(user=user) | Q(paths__evaluator=user) | Q(paths__workplace_tutor=user)
    if provider_ids(user):
        q |= Q(paths__training_provider__in=provider_ids(user)) | Q(created_by=user)
    if admin_branch_ids(user):
        q |= Q(paths__certification__branches__in=admin_branch_ids(user))
    return q


def _is_candidate_of(user, path) -> bool:
    return path.candidate.user_id == user.pk


def _is_evaluator_of(user, path) -> bool:
    return user.pk in (path.evaluator_id, path.workplace_tutor_id)


def _manages(user, path) -> bool:
    """Branch administrators of the certification and staff of the path's provider."""
    if path.training_provider_id and path.training_provider_id in provider_ids(user):
        return True
    return _is_branch_admin_of(user, path)


@rule("candidate.create")
def _create_candidate(user, obj=None):
    return bool(provider_ids(user) or admin_branch_ids(user))


@rule("candidate.update_identity")
def _update_identity(user, candidate):
    # Those who create candidates correct their identity (a CDC rejection, a typing error), on a
    # candidate they already see (the view looks it up in their scope first).
    return bool(provider_ids(user) or admin_branch_ids(user))


def _is_branch_admin_of(user, path) -> bool:
    branch_ids = admin_branch_ids(user)
    return bool(branch_ids) and path.certification.branches.filter(pk__in=branch_ids).exists()


@rule("path.view")
def _view(user, path):
    return _is_candidate_of(user, path) or _is_evaluator_of(user, path) or _manages(user, path)


@rule("path.create")
def _create_path(user, path):
    """``path`` is the unsaved path: its candidate enrols themselves, or a manager enrols them."""
    return _is_candidate_of(user, path) or _manages(user, path)


@rule("path.manage")
def _manage(user, path):
    return _manages(user, path)


@rule("path.assign")
def _assign(user, path):
    return _manages(user, path)


@rule("path.request_admissibility")
def _request_admissibility(user, path):
    return _is_candidate_of(user, path) or _manages(user, path)


@rule("path.edit_experience")
def _edit_experience(user, path):
    # The VAE experience is the candidate's own account of it.
    return _is_candidate_of(user, path)


@rule("path.start_course")
def _start_course(user, path):
    return _manages(user, path)


@rule("path.start_evaluation")
def _start_evaluation(user, path):
    return _is_evaluator_of(user, path) or _manages(user, path)


@rule("path.submit_to_jury")
def _submit_to_jury(user, path):
    return _is_evaluator_of(user, path) or _manages(user, path)


@rule("path.return_to_evaluation")
def _return_to_evaluation(user, path):
    return _is_branch_admin_of(user, path)


@rule("path.register")
def _register(user, path):
    return _is_candidate_of(user, path) or _manages(user, path)


@rule("path.withdraw")
def _withdraw(user, path):
    return _is_candidate_of(user, path) or _manages(user, path)


@rule("path.self_position")
def _self_position(user, path):
    return _is_candidate_of(user, path)


@rule("path.position")
def _position(user, path):
    return _is_evaluator_of(user, path) or _manages(user, path)


@rule("path.assess")
def _assess(user, path):
    return _is_evaluator_of(user, path) and user.has_role(Role.EVALUATOR)


@rule("path.decide_admissibility")
def _decide_admissibility(user, path):
    return _is_branch_admin_of(user, path)


@rule("path.upload_evidence")
def _upload(user, path):
    return _is_candidate_of(user, path) or _is_evaluator_of(user, path) or _manages(user, path)


@rule("candidate.export_data")
def _export_data(user, candidate):
    # GDPR access and portability (art. 15, 20): the person themselves.
    return candidate.user_id == user.pk


@rule("candidate.anonymise")
def _anonymise(user, candidate):
    # Erasure (art. 17) is a staff decision: no other role may anonymise (staff pass by default).
    return False


@scope_contributor("candidates.evidence", joins=False)
def _evidence(user):
    """Evidence documents: the people who may open the path's file (``path.view``: the candidate,
    the evaluator or tutor, its managers) and the jury members whose session examines it.
    Funder officers see the paths they are asked to fund, not their documents: the same rule
    for the download pages and ``/api/v1/evidence/``."""
    from candidates.models import Path
    from juries.models import Dossier

    return Q(path_id__in=Path.objects.filter(_paths(user)).values("pk")) | Q(
        path_id__in=Dossier.objects.filter(session__members__user=user).values("path_id")
    )
