"""Benchmark data: member organisations in bulk (used by ``manage.py generate_bench_data``
and ``bench/bench_desk.py``; never imported by the application)."""

from syndesk.members.models import LegalCategory, Member


def generate(count: int, *, first_siren: int = 200000000) -> list[Member]:
    """`count` communes with distinct SIRENs (not Luhn-valid: benchmark data)."""
    return Member.objects.bulk_create(
        (
            Member(
                name=f"Commune {i:04d}",
                search_name=f"commune {i:04d}",
                legal_category=LegalCategory.COMMUNE,
                siren=f"{first_siren + i}",
                population=500 + (i * 37) % 20000,
            )
            for i in range(count)
        ),
        batch_size=1000,
    )
