/* The intranet demo's password hashes as Criterion tests: standard PBKDF2-HMAC-SHA256 (checked
 * against a value computed elsewhere), a fresh salt per hash, and stored forms that are wrong
 * in any way never verify. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../examples/intranet/password.c"

/* Python: hashlib.pbkdf2_hmac("sha256", b"correct horse", bytes(range(16)), 1000).hex() */
#define KNOWN "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$" \
              "c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864"

Test(password, verifies_a_hash_made_elsewhere)
{
    cr_assert(password_verify("correct horse", KNOWN));
    cr_assert_not(password_verify("correct horsf", KNOWN));
    cr_assert_not(password_verify("", KNOWN));
}

Test(password, a_new_hash_verifies_and_has_the_stored_form)
{
    char h[PASSWORD_HASH_MAX];
    cr_assert_eq(password_hash("s3cret", h), 0);
    cr_assert(strncmp(h, "pbkdf2-sha256$600000$", 21) == 0, "%s", h);
    cr_assert_eq(strlen(h), 21 + 32 + 1 + 64);
    cr_assert(password_verify("s3cret", h));
    cr_assert_not(password_verify("s3cret ", h));
}

Test(password, every_hash_has_its_own_salt)
{
    char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
    cr_assert_eq(password_hash("same", a), 0);
    cr_assert_eq(password_hash("same", b), 0);
    cr_assert_str_neq(a, b);
}

Test(password, malformed_stored_forms_never_verify)
{
    static const char *const bad[] = {
        "",
        "plain text",
        "pbkdf2-sha1$1000$000102030405060708090a0b0c0d0e0f$c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        /* iterations out of bounds: too few is weak, too many is a denial of service */
        "pbkdf2-sha256$999$000102030405060708090a0b0c0d0e0f$c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        "pbkdf2-sha256$99999999$000102030405060708090a0b0c0d0e0f$c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        "pbkdf2-sha256$1000x$000102030405060708090a0b0c0d0e0f$c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        /* salt or hash of the wrong length, or not lowercase hex */
        "pbkdf2-sha256$1000$0001020304050607$c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$c914cc4f06cc6e8f",
        "pbkdf2-sha256$1000$000102030405060708090A0B0C0D0E0F$c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae9864",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae986z",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(password_verify("correct horse", bad[i]), "%s", bad[i]);
    cr_assert_not(password_verify(NULL, KNOWN));
    cr_assert_not(password_verify("correct horse", NULL));
}

Test(password, generated_passwords_avoid_look_alikes)
{
    char p[17], q[17];
    cr_assert_eq(random_password(p, 16), 0);
    cr_assert_eq(random_password(q, 16), 0);
    cr_assert_eq(strlen(p), 16);
    cr_assert_str_neq(p, q);
    cr_assert_eq(strcspn(p, "0O1lI"), 16, "%s", p);
}

Test(password, random_hex_is_hex_of_the_asked_length)
{
    char h[65];
    cr_assert_eq(random_hex(h, 32), 0);
    cr_assert_eq(strlen(h), 64);
    cr_assert_eq(strspn(h, "0123456789abcdef"), 64);
    cr_assert_eq(random_hex(h, 65), -1, "more than the buffer it fills from");
}
