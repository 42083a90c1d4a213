/* Specification of src/web/form.c: percent-decoding, query strings, urlencoded and multipart
 * bodies. */
#include <criterion/criterion.h>
#include <string.h>

#include "web/form.h"

static arena A;
static void setup(void) { arena_init(&A, 4096); }
static void teardown(void) { arena_free(&A); }
TestSuite(form, .init = setup, .fini = teardown);

static const char *decoded(const char *in, int plus, size_t *bad)
{
    char *out = arena_alloc(&A, strlen(in) + 1);
    form_decode(in, strlen(in), out, plus, bad);
    return out;
}

Test(form, decode_turns_percent_escapes_into_bytes)
{
    size_t bad = 0;
    cr_assert_str_eq(decoded("a%20b%2Fc%41", 0, &bad), "a b/cA");
    cr_assert_eq(bad, 0);
}

Test(form, decode_plus_is_space_only_in_forms)
{
    cr_assert_str_eq(decoded("a+b", 1, NULL), "a b");
    cr_assert_str_eq(decoded("a+b", 0, NULL), "a+b");
}

Test(form, decode_keeps_and_counts_malformed_escapes)
{
    size_t bad = 0;
    cr_assert_str_eq(decoded("%zz%4%", 0, &bad), "%zz%4%");
    cr_assert_eq(bad, 3);
}

Test(form, decode_lowercase_hex)
{
    cr_assert_str_eq(decoded("%3c%3E", 0, NULL), "<>");
}

Test(form, urlencoded_fields_in_order_and_decoded)
{
    form_fields f;
    const char *q = "name=J%C3%B6rg+M&age=42&empty=&flag";
    cr_assert_eq(form_parse_urlencoded(&A, q, strlen(q), 100, &f), 0);
    cr_assert_eq(f.count, 4);
    cr_assert_str_eq(f.items[0].name, "name");
    cr_assert_str_eq(f.items[0].value, "J\xc3\xb6rg M");
    cr_assert_str_eq(form_get(&f, "age")->value, "42");
    cr_assert_str_eq(form_get(&f, "empty")->value, "");
    cr_assert_str_eq(form_get(&f, "flag")->value, "");
    cr_assert_null(form_get(&f, "missing"));
}

Test(form, urlencoded_skips_empty_pairs)
{
    form_fields f;
    const char *q = "&&a=1&&";
    cr_assert_eq(form_parse_urlencoded(&A, q, strlen(q), 100, &f), 0);
    cr_assert_eq(f.count, 1);
}

Test(form, urlencoded_first_of_duplicates_wins_in_get)
{
    form_fields f;
    const char *q = "a=1&a=2";
    form_parse_urlencoded(&A, q, strlen(q), 100, &f);
    cr_assert_eq(f.count, 2);
    cr_assert_str_eq(form_get(&f, "a")->value, "1");
}

Test(form, urlencoded_value_may_hold_encoded_nul_and_length_says_so)
{
    form_fields f;
    const char *q = "a=x%00y";
    form_parse_urlencoded(&A, q, strlen(q), 100, &f);
    cr_assert_eq(f.items[0].value_len, 3);
}

Test(form, urlencoded_field_limit_truncates_and_says_so)
{
    form_fields f;
    const char *q = "a=1&b=2&c=3";
    form_parse_urlencoded(&A, q, strlen(q), 2, &f);
    cr_assert_eq(f.count, 2);
    cr_assert(f.truncated);
}

Test(form, urlencoded_counts_bad_escapes)
{
    form_fields f;
    const char *q = "a=%zz&b%=1";
    form_parse_urlencoded(&A, q, strlen(q), 10, &f);
    cr_assert_eq(f.bad_escapes, 2);
}

static const multipart_limits limits = {16, 1024};

#define CT "multipart/form-data; boundary=XyZ"

Test(form, multipart_fields_and_files)
{
    const char body[] = "--XyZ\r\n"
                        "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
                        "Hello\r\n"
                        "--XyZ\r\n"
                        "Content-Disposition: form-data; name=\"doc\"; filename=\"C:\\\\tmp\\\\a.txt\"\r\n"
                        "Content-Type: text/plain\r\n\r\n"
                        "line1\r\nline2\r\n"
                        "--XyZ--\r\n";
    form_fields f;
    const char *err = NULL;
    cr_assert_eq(form_parse_multipart(&A, CT, body, sizeof body - 1, &limits, &f, &err), 0,
                 "%s", err);
    cr_assert_eq(f.count, 2);
    cr_assert_str_eq(f.items[0].name, "title");
    cr_assert_str_eq(f.items[0].value, "Hello");
    cr_assert_null(f.items[0].filename);
    cr_assert_str_eq(f.items[1].name, "doc");
    cr_assert_str_eq(f.items[1].filename, "a.txt", "client path components are stripped");
    cr_assert_str_eq(f.items[1].content_type, "text/plain");
    cr_assert_eq(f.items[1].value_len, 12);
    cr_assert(memcmp(f.items[1].value, "line1\r\nline2", 12) == 0);
}

Test(form, multipart_file_name_cannot_traverse)
{
    const char body[] = "--XyZ\r\n"
                        "Content-Disposition: form-data; name=\"f\"; filename=\"../../etc/passwd\"\r\n\r\n"
                        "x\r\n--XyZ--";
    form_fields f;
    const char *err;
    cr_assert_eq(form_parse_multipart(&A, CT, body, sizeof body - 1, &limits, &f, &err), 0);
    cr_assert_str_eq(f.items[0].filename, "passwd");
}

Test(form, multipart_quoted_boundary_and_preamble)
{
    const char body[] = "preamble\r\n--a b\r\n"
                        "Content-Disposition: form-data; name=x\r\n\r\n"
                        "1\r\n--a b--\r\nepilogue";
    form_fields f;
    const char *err = NULL;
    cr_assert_eq(form_parse_multipart(&A, "multipart/form-data; boundary=\"a b\"", body,
                                      sizeof body - 1, &limits, &f, &err),
                 0, "%s", err);
    cr_assert_str_eq(form_get(&f, "x")->value, "1");
}

Test(form, multipart_rejects_missing_boundary)
{
    form_fields f;
    const char *err = NULL;
    cr_assert_eq(form_parse_multipart(&A, "multipart/form-data", "x", 1, &limits, &f, &err), -1);
    cr_assert_not_null(err);
}

Test(form, multipart_rejects_unterminated_body)
{
    const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue";
    form_fields f;
    const char *err = NULL;
    cr_assert_eq(form_parse_multipart(&A, CT, body, sizeof body - 1, &limits, &f, &err), -1);
    cr_assert_str_eq(err, "multipart body without its closing boundary");
}

Test(form, multipart_rejects_part_without_name)
{
    const char body[] = "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--";
    form_fields f;
    const char *err = NULL;
    cr_assert_eq(form_parse_multipart(&A, CT, body, sizeof body - 1, &limits, &f, &err), -1);
}

Test(form, multipart_part_limit)
{
    const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                        "--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n--XyZ--";
    multipart_limits one = {1, 1024};
    form_fields f;
    const char *err = NULL;
    cr_assert_eq(form_parse_multipart(&A, CT, body, sizeof body - 1, &one, &f, &err), -1);
    cr_assert_str_eq(err, "too many multipart parts");
}

Test(form, multipart_header_limit)
{
    const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
                        "1\r\n--XyZ--";
    multipart_limits tiny = {4, 16};
    form_fields f;
    const char *err = NULL;
    cr_assert_eq(form_parse_multipart(&A, CT, body, sizeof body - 1, &tiny, &f, &err), -1);
    cr_assert_str_eq(err, "multipart part headers too large");
}
