from xiangzhi.lib import crypto

KEY = "test-master-key"


def test_encrypt_round_trips_and_never_repeats_ciphertext():
    a = crypto.encrypt("371603198802291371", master=KEY)
    b = crypto.encrypt("371603198802291371", master=KEY)
    assert a != b
    assert a.startswith("v1:")
    assert "371603" not in a
    assert crypto.decrypt(a, master=KEY) == crypto.decrypt(b, master=KEY) == "371603198802291371"


def test_lookup_hash_is_stable_case_blind_and_keyed():
    assert crypto.lookup_hash("11010519491231002x", master=KEY) == crypto.lookup_hash("11010519491231002X", master=KEY)
    other = crypto.lookup_hash("11010519491231002X", master="other")
    assert crypto.lookup_hash("11010519491231002X", master=KEY) != other
