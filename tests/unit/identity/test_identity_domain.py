"""Pure rules of the identity service: citizens, pairwise subjects, PKCE, levels, scopes, age."""

from datetime import date

import pytest

from services.identity.domain.authorization import requested_acr
from services.identity.domain.citizens import (
    IncompleteIdentity,
    PivotIdentity,
    citizen_fingerprint,
    is_adult,
    normalize_birthdate,
    pairwise_subject,
)
from services.identity.domain.claims import audience
from shared.oidc import meets_acr, pkce_matches, released_claims, s256_challenge

MARIE = {
    "given_name": "Marie Louise",
    "family_name": "DUPONT",
    "birthdate": "1985-04-12",
    "gender": "female",
    "birthplace": "75056",
    "birthcountry": "99100",
}


def test_same_pivot_identity_from_two_providers_is_the_same_citizen():
    other_provider = {**MARIE, "given_name": "  marie   louise ", "email": "other@example.fr"}
    a = citizen_fingerprint(PivotIdentity.from_claims(MARIE), "secret")
    b = citizen_fingerprint(PivotIdentity.from_claims(other_provider), "secret")
    assert a == b


@pytest.mark.parametrize(
    "field,value",
    [
        ("given_name", "Marie"),
        ("family_name", "DURAND"),
        ("birthdate", "1985-04-13"),
        ("gender", "male"),
        ("birthplace", "75115"),
        ("birthcountry", "99101"),
    ],
)
def test_each_pivot_field_changes_the_citizen(field, value):
    base = citizen_fingerprint(PivotIdentity.from_claims(MARIE), "secret")
    changed = citizen_fingerprint(PivotIdentity.from_claims({**MARIE, field: value}), "secret")
    assert base != changed


def test_fingerprint_is_keyed_by_the_subject_secret():
    pivot = PivotIdentity.from_claims(MARIE)
    assert citizen_fingerprint(pivot, "one") != citizen_fingerprint(pivot, "two")


def test_born_abroad_has_an_empty_birthplace():
    pivot = PivotIdentity.from_claims({**MARIE, "birthplace": "", "birthcountry": "99350"})
    assert pivot.birthplace == ""


@pytest.mark.parametrize(
    "field,value",
    [
        ("given_name", ""),
        ("gender", "other"),
        ("birthcountry", "France"),
        ("birthplace", "Paris"),
        ("birthdate", "12/04/1985"),
        ("birthdate", "1985-02-30"),
    ],
)
def test_unusable_identities_are_refused(field, value):
    with pytest.raises(IncompleteIdentity):
        PivotIdentity.from_claims({**MARIE, field: value})


def test_presumed_birthdates_with_zeros_become_first_of_month_or_year():
    assert normalize_birthdate("1961-00-00") == "1961-01-01"
    assert normalize_birthdate("1961-07-00") == "1961-07-01"


def test_pairwise_subjects_differ_per_sector_and_are_stable():
    one = pairwise_subject("secret", "client:a", "citizen-1")
    assert one == pairwise_subject("secret", "client:a", "citizen-1")
    assert one != pairwise_subject("secret", "client:b", "citizen-1")
    assert one != pairwise_subject("secret", "client:a", "citizen-2")
    assert one != pairwise_subject("other", "client:a", "citizen-1")
    assert len(one) == 43 and "=" not in one


def test_pkce_s256_matches_rfc7636_appendix_b():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", verifier)


def test_pkce_refuses_wrong_short_or_missing_verifiers():
    challenge = s256_challenge("a" * 43)
    assert not pkce_matches(challenge, "b" * 43)
    assert not pkce_matches(s256_challenge("a" * 42), "a" * 42)  # RFC 7636: at least 43
    assert not pkce_matches(challenge, None)


def test_lowest_requested_level_applies_and_levels_are_ordered():
    assert requested_acr("eidas3 eidas2") == "eidas2"
    assert requested_acr(None) == "eidas1"
    assert requested_acr("unknown") is None
    assert meets_acr("eidas2", "eidas1")
    assert not meets_acr("eidas1", "eidas2")
    assert not meets_acr("something", "eidas1")


def test_aliases_release_their_claims_and_only_pivot_claims():
    assert released_claims(["openid", "birth", "email", "petitions"]) == [
        "birthplace",
        "birthcountry",
        "email",
    ]


def test_audience_is_resource_url_a_list_or_the_issuer():
    urls = {"petitions": "http://p", "notifications": "http://n"}.__getitem__
    assert audience(["petitions"], urls, "http://i") == "http://p"
    assert audience(["notifications", "petitions"], urls, "http://i") == ["http://n", "http://p"]
    assert audience([], urls, "http://i") == "http://i"


def test_adulthood_starts_on_the_eighteenth_birthday():
    assert not is_adult("2008-06-15", date(2026, 6, 14))
    assert is_adult("2008-06-15", date(2026, 6, 15))
    assert is_adult("2008-00-00", date(2026, 1, 1))  # presumed: 1 January


def test_the_signer_claim_is_one_per_person_whatever_the_subject():
    from services.identity.domain.citizens import pairwise_subject, signer_claim

    one = signer_claim("secret", "f" * 64)
    assert one == signer_claim("secret", "f" * 64) != signer_claim("secret", "e" * 64)
    assert one != signer_claim("other secret", "f" * 64)
    # the pairwise subject moves with the petitions URL; the signer does not depend on it
    sectors = ("resource:http://127.0.0.1:8002", "resource:http://localhost:8002")
    assert len({pairwise_subject("secret", s, "citizen-1") for s in sectors}) == 2
