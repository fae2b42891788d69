"""Password hashing: an unknown username is verified against a dummy hash made with the
hasher's own parameters, so that answer costs what a wrong password costs."""

from service.kit import security


def test_the_dummy_hash_has_the_hasher_s_parameters_and_matches_no_password() -> None:
    assert not security._hasher.check_needs_rehash(security._DUMMY_HASH)
    assert not security.verify_password(None, "not-a-real-password-0")
    real = security.hash_password("秘密-password-1")
    assert security.verify_password(real, "秘密-password-1")
    assert not security.verify_password(real, "not-a-real-password-0")
