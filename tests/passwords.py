"""Staff passwords in tests: werkzeug's PBKDF2 with one round instead of the service's
scrypt (tests/conftest.py's make_test_app sets it). Hashing and checking run the same code;
only the cost differs (a scrypt hash costs 30–90 ms of CPU, and the suite makes thousands).
tests/test_password_hashing.py checks that the service itself uses scrypt."""

TEST_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
