"""Demo certificates: the documents of the demo's closed (ratified) jury session, rendered
now so the demo shows them at once; one re-issued after a correction (so one is revoked and
linked to its replacement); CDC accounts for the three demo CPNE and one accrochage export.
Idempotent: issuing is idempotent, the re-issue and the export happen only once."""

from certifications.models import Commission
from juries.certificates import cdc, services
from juries.certificates.models import CdcCertifier, CdcExport, Certificate, CertificateKind, CertificateState

STAFF = "staff@demo.cqp.fr"
# Fictitious CDC accounts (8-character client id, contract id) of the demo commissions.
CDC_ACCOUNTS = {
    "CPNE-FP de l'industrie hôtelière": ("HCR01979", "CTR-HCR-2026"),
    "CPNE de la métallurgie": ("MET03248", "CTR-MET-2026"),
    "CPNEF de la branche ECLAT": ("ECL03246", "CTR-ECL-2026"),
}
REISSUE_REASON = "Démo : nom d'usage ajouté après la délivrance, à la demande de la titulaire."


def _say(out, text):
    if out:
        out.write(text)


def seed(context: dict) -> None:
    from juries.models import JurySession, SessionState

    out = context.get("stdout")
    sessions = [s for s in context.get("jury_sessions", []) if s.award_date]
    if not sessions:
        sessions = list(
            JurySession.objects.filter(state__in=[SessionState.CLOSED, SessionState.RATIFIED], award_date__isnull=False)
        )
    if not sessions:
        _say(out, "  no closed jury session with an award date: demo certificates skipped")
        return
    for name, (id_client, id_contract) in CDC_ACCOUNTS.items():
        commission = Commission.objects.filter(name=name).first()
        if commission is not None:
            CdcCertifier.objects.get_or_create(
                commission=commission, defaults={"id_client": id_client, "id_contract": id_contract}
            )
    for session in sessions:
        services.certificates_issue_for_session(session=session)
    documents = Certificate.objects.filter(decision__dossier__session__in=sessions)
    _render_pending(documents)
    _reissue_one(context, documents)
    if not CdcExport.objects.exists():
        result = cdc.cdc_export()
        for export in result.exports:
            _say(out, f"  CDC export {export.id_flux}: {export.certificates.count()} award(s)")
    _cdc_report_with_a_rejection(out)
    context["certificates"] = list(documents.filter(state=CertificateState.ISSUED))
    _say(out, f"  {documents.count()} demo certificates ({documents.filter(state='revoked').count()} revoked)")


DEMO_REJECTION = "Aucun titulaire ne correspond aux critères obligatoires"


def demo_report(export, rejected: set[str]) -> bytes:
    """A processing report as the CDC returns it (root ``rapport``, KO passages then OK ones)."""
    ids = sorted(c.award_ref.hex for c in export.certificates.all())
    ko = "".join(
        f"<passage><idTechnique>{i}</idTechnique><messageErreur>{DEMO_REJECTION}</messageErreur></passage>"
        for i in ids
        if i in rejected
    )
    ok = "".join(f"<idTechnique>{i}</idTechnique>" for i in ids if i not in rejected)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<rapport xmlns:ns2="urn:cdc:cpf:pc5:rapport:schema"><nomFichier>{export.id_flux}.xml</nomFichier>'
        f"<idFlux>{export.id_flux}</idFlux><idTraitement>51354</idTraitement>"
        f"<PassagesKO>{ko}</PassagesKO><PassagesOK>{ok}</PassagesOK></rapport>"
    ).encode()


def _cdc_report_with_a_rejection(out) -> None:
    """The CDC's report of the demo export: one award rejected ("no holder"), shown on the board."""
    from juries.certificates.cdc.report import cdc_report_import
    from juries.certificates.models import CdcReport

    export = CdcExport.objects.order_by("pk").first()
    if export is None or CdcReport.objects.exists():
        return
    first = export.certificates.order_by("pk").first()
    if first is None:
        return
    report = cdc_report_import(data=demo_report(export, {first.award_ref.hex}))
    _say(out, f"  CDC report of {export.id_flux}: {report.accepted} accepted, {report.rejected} rejected")


def _render_pending(documents) -> None:
    # Rendered here, synchronously: the tasks queued at commit then find them issued.
    for pk in documents.filter(state=CertificateState.PENDING).values_list("pk", flat=True):
        services.certificate_render(certificate_id=pk)


def _reissue_one(context, documents) -> None:
    if documents.filter(state=CertificateState.REVOKED).exists():
        return
    from cqp_portal.accounts.models import User

    staff = context.get("users", {}).get(STAFF) or User.objects.filter(email=STAFF).first()
    target = (
        documents.filter(state=CertificateState.ISSUED, kind=CertificateKind.CERTIFICATE).order_by("pk").first()
        or documents.filter(state=CertificateState.ISSUED).order_by("pk").first()
    )
    if staff is None or target is None:
        return
    new = services.certificate_reissue(certificate=target, by=staff, reason=REISSUE_REASON)
    services.certificate_render(certificate_id=new.pk)
