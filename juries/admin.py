"""Read-only admin: sessions, composition, dossiers, decisions and appeals change through the
jury services (paritaire checks, conflicts of interest, transitions, audit), never by editing rows."""

from django.contrib import admin

from cqp_portal.admin_readonly import ReadOnlyAdmin, ReadOnlyInline
from juries import models


class JuryMemberInline(ReadOnlyInline):
    model = models.JuryMember


class DossierInline(ReadOnlyInline):
    model = models.Dossier


class MinutesApprovalInline(ReadOnlyInline):
    """Who approved which version of the PV (its SHA-256), with which second factor."""

    model = models.MinutesApproval


@admin.register(models.JurySession)
class JurySessionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "date", "state", "award_date"]
    list_filter = ["state"]
    inlines = [JuryMemberInline, DossierInline, MinutesApprovalInline]


@admin.register(models.MemberLink)
class MemberLinkAdmin(ReadOnlyAdmin):
    list_display = ["pk", "member", "candidate", "kind"]


class BlockDecisionInline(ReadOnlyInline):
    model = models.BlockDecision


class CollegeVoteInline(ReadOnlyInline):
    model = models.CollegeVote


@admin.register(models.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "dossier", "outcome", "state"]
    list_filter = ["outcome", "state"]
    inlines = [BlockDecisionInline, CollegeVoteInline]


@admin.register(models.Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["pk", "decision", "state"]
    list_filter = ["state"]


@admin.register(models.ExpiryNotice)
class ExpiryNoticeAdmin(ReadOnlyAdmin):
    list_display = ["pk", "acquired_block", "valid_until", "notified_at"]
