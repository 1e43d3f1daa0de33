"""Certificate PDF benchmark (not a test): ms per PDF with the cached FontConfiguration and
pre-parsed stylesheet of juries.certificates.pdf, against a naive WeasyPrint render of the
same template in the same run, and the RSS of a worker-like process after N PDFs.

    .venv/bin/python bench/certificates.py            # 1,000 PDFs per mode
    .venv/bin/python bench/certificates.py --quick    # 100 PDFs per mode

Each mode runs in its own fresh process (a Celery prefork child), so memory figures do not
mix. No database is needed: the certificate is an in-memory object.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _All(list):
    def all(self):
        return self


def sample_certificate(i: int):
    blocks = _All(
        types.SimpleNamespace(code=f"BC0{n}", title=title)
        for n, title in enumerate(
            [
                "Accueillir et conseiller le client",
                "Servir les mets et les boissons",
                "Encaisser et clôturer le service",
            ],
            start=1,
        )
    )
    return types.SimpleNamespace(
        kind="certificate",
        number=f"CQP-SERVEUR-RESTAURATION-2026-{i:06d}",
        verification_url=f"https://cqp.example.org/verify/bench{i:028d}/",
        certifier_name="CPNE-FP de l'industrie hôtelière",
        branch_names=["Hôtels, cafés, restaurants (IDCC 1979)"],
        holder_first_names="Élodie",
        holder_usage_name="",
        holder_birth_name=f"Lefèvre-{i}",
        holder_birth_date=datetime.date(1990, 5, 17),
        holder_birth_place_name="Saint-Étienne",
        certification_title="Serveur en restauration",
        certification_kind="CQP",
        register="RNCP",
        registration_number="RNCP34567",
        registration_decision_date=datetime.date(2024, 1, 15),
        registration_level=3,
        nsf_codes=["334t"],
        award_place="Paris",
        award_date=datetime.date(2026, 6, 30),
        signatory_title="Président du jury",
        signatory_name="Jean Dupont",
        blocks=blocks,
        block=None,
        certification=types.SimpleNamespace(branches=_All()),
    )


def run_mode(mode: str, count: int) -> dict:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqp_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from juries.certificates import pdf

    def optimized(certificate):
        return pdf.render_html(pdf.document_html(certificate))

    def naive(certificate):
        # What one writes first: fresh fonts, the stylesheet parsed again, the default fetcher.
        font_config = FontConfiguration()
        css = CSS(string=pdf.stylesheet_source(), base_url=pdf.static_base_url(), font_config=font_config)
        html = HTML(string=pdf.document_html(certificate), base_url=pdf.static_base_url())
        return html.write_pdf(stylesheets=[css], font_config=font_config)

    def sealed(certificate):
        # What a worker does since the seal (issue 19): render, then the PAdES seal.
        from juries.certificates.signing import pades

        return pades.seal_pdf(optimized(certificate))

    render = {"optimized": optimized, "naive": naive, "sealed": sealed}[mode]
    for i in range(3):  # warm-up: imports, template compilation, first font loading
        render(sample_certificate(i))
    rss_start = rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    size = 0
    for i in range(count):
        size += len(render(sample_certificate(i)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "mode": mode,
        "count": count,
        "ms_per_pdf": 1000 * elapsed / count,
        # CPU time of this process: what the render costs, whatever else runs on the machine.
        "cpu_ms_per_pdf": 1000 * cpu / count,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_mb(),
        "avg_kb": size / count / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 PDFs per mode instead of 1,000")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--mode", choices=["optimized", "naive", "sealed"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    count = args.count or (100 if args.quick else 1000)
    if args.mode:
        print(json.dumps(run_mode(args.mode, count)))
        return 0
    results = {}
    for mode in ("optimized", "naive", "sealed"):
        output = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--count", str(count)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        results[mode] = json.loads(output.strip().splitlines()[-1])
    opt, naive, sealed = results["optimized"], results["naive"], results["sealed"]
    print(f"Certificate PDFs, {count} per mode, one process each (Python {sys.version.split()[0]})")
    for r in (opt, naive, sealed):
        growth = r["rss_end_mb"] - r["rss_start_mb"]
        print(
            f"  {r['mode']:<9} {r['ms_per_pdf']:7.1f} ms/PDF   RSS {r['rss_start_mb']:6.1f} → {r['rss_end_mb']:6.1f} MB"
            f" (+{growth:.1f} MB, {1024 * growth / count:.0f} KB/PDF)   {r['avg_kb']:.0f} KB per file"
        )
    print(f"  speed-up: naive / optimized = {naive['ms_per_pdf'] / opt['ms_per_pdf']:.2f}x (wall time)")
    print(f"  CPU time: optimized / naive = {opt['cpu_ms_per_pdf'] / naive['cpu_ms_per_pdf']:.2f}")
    growth_opt = opt["rss_end_mb"] - opt["rss_start_mb"]
    growth_naive = naive["rss_end_mb"] - naive["rss_start_mb"]
    print(f"  RSS growth: optimized {growth_opt:+.1f} MB, naive {growth_naive:+.1f} MB")
    print(f"  seal cost: {sealed['ms_per_pdf'] - opt['ms_per_pdf']:.1f} ms/PDF; sealed PDFs per process: "
          f"{1000 / sealed['ms_per_pdf']:.1f}/s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
