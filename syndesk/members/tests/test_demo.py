import pytest

from syndesk.members.demo import load_demo
from syndesk.members.identifiers import is_valid_siren, is_valid_siret
from syndesk.members.models import Contact, Member, Membership

pytestmark = pytest.mark.django_db


def test_demo_data_is_realistic_and_idempotent():
    first = load_demo()
    snapshot = list(Member.objects.order_by("siren").values_list("siren", "name", "signatory_name"))
    second = load_demo()
    assert first == second
    assert snapshot == list(
        Member.objects.order_by("siren").values_list("siren", "name", "signatory_name")
    )
    assert 140 <= first["members"] <= 160
    assert Contact.objects.count() == first["members"]
    for siren, siret in Member.objects.values_list("siren", "siret"):
        assert is_valid_siren(siren)
        assert is_valid_siret(siret)
    assert Member.objects.filter(name="Saint-Hilaire-du-Harcouët", insee_code="50484").exists()
    officer = Membership.objects.filter(user__email="informatique@msm-normandie.demo")
    assert officer.count() >= 2
