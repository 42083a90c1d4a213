/* The decoy's fake values: a column is classified once by its name and type, then each row gets
 * a value drawn from word lists and a seeded generator (so one seed gives one decoy). */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/fake.h"

const char *const fake_kind_names[FAKE_KIND__MAX] = {
    "integer", "real", "boolean", "text", "blob", "first name", "last name", "full name",
    "username", "email", "phone", "street", "city", "zip", "country", "address", "date",
    "timestamp", "amount", "password hash", "api key", "iban", "card number", "prose", "title",
    "label"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const first_names[] = {
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin",
    "Lukas", "Mara", "Nils", "Olga", "Paul", "Rosa", "Simon", "Tara", "Uwe", "Vera", "Walter",
    "Yasmin", "Zoe", "Aiko", "Bruno", "Chloe", "Dmitri", "Emma", "Farid", "Hana", "Igor",
    "Julia", "Kenji", "Lena", "Marco", "Nora", "Oscar", "Priya", "Rafael"};
static const char *const last_names[] = {
    "Keller", "Brandt", "Moreau", "Novak", "Lindqvist", "Okafor", "Tanaka", "Rossi", "Schmidt",
    "Dubois", "Kowalski", "Haddad", "Nakamura", "Fischer", "Ortega", "Petrov", "Larsen",
    "Meyer", "Silva", "Yilmaz", "Costa", "Weber", "Jansen", "Horvat", "Berg", "Quinn", "Sato",
    "Varga", "Eriksen", "Laurent", "Pereira", "Abe", "Hoffmann", "Marin", "Nguyen", "Wolf"};
static const char *const cities[] = {
    "Springfield", "Riverton", "Lakeside", "Fairview", "Brookfield", "Ashford", "Maplewood",
    "Westbury", "Northgate", "Kingsport", "Elmhurst", "Oakridge", "Clearwater", "Stonebridge",
    "Millbrook", "Harborview", "Greenfield", "Redwood", "Silverton", "Bayside"};
static const char *const streets[] = {
    "Main Street", "Oak Avenue", "Maple Road", "Station Road", "Park Lane", "Church Street",
    "Mill Lane", "High Street", "Cedar Drive", "Elm Street", "Harbor Way", "Bridge Road",
    "Orchard Close", "Hillside Avenue", "Lake View", "Willow Court"};
static const char *const countries[] = {
    "Germany", "France", "Japan", "Canada", "Italy", "Spain", "Sweden", "Netherlands", "Austria",
    "Norway", "Portugal", "Ireland", "Denmark", "Finland", "Belgium", "Poland"};
static const char *const titles[] = {
    "Accountant", "Analyst", "Engineer", "Senior Engineer", "Product Manager", "Designer",
    "Sales Representative", "Support Specialist", "HR Partner", "Team Lead", "Controller",
    "Office Manager", "Data Scientist", "Technical Writer", "Recruiter", "Architect"};
static const char *const words[] = {
    "quarterly", "review", "meeting", "budget", "project", "client", "follow", "up", "pending",
    "approved", "schedule", "report", "update", "team", "invoice", "contract", "renewal",
    "training", "onboarding", "feedback", "priority", "deadline", "draft", "final", "notes",
    "call", "office", "travel", "request", "planning", "migration", "release", "support",
    "ticket", "policy", "audit", "summary", "call back", "next week", "on hold"};
static const char *const labels[] = {
    "Operations", "Research", "Logistics", "Finance", "Marketing", "Support", "Engineering",
    "Facilities", "Procurement", "Legal", "Quality", "Training", "Platform", "Analytics",
    "Security", "Partnerships"};
static const char *const domains[] = {"example.com", "example.org", "example.net",
                                      "mail.example.com", "corp.example.com"};

/* ---- The generator -------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void fake_seed(fake_rng *g, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&seed);
    g->persona = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t fake_next(fake_rng *g)
{
    uint64_t *s = g->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void fake_new_table(fake_rng *g)
{
    g->persona = fake_next(g);
}

uint64_t fake_below(fake_rng *g, uint64_t n)
{
    return n ? fake_next(g) % n : 0; /* the bias is far below anything a decoy shows */
}

static const char *pick(fake_rng *g, const char *const *list, size_t n)
{
    return list[fake_below(g, n)];
}

static int64_t between(fake_rng *g, int64_t lo, int64_t hi)
{
    return lo + (int64_t)fake_below(g, (uint64_t)(hi - lo + 1));
}

/* ---- Classifying ---------------------------------------------------------------------- */

/* The column's name in lower case, words joined by '_' (camelCase split). */
static void normalize(const char *name, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 2 < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isupper(c) && i > 0 && islower((unsigned char)name[i - 1]))
            out[j++] = '_';
        out[j++] = isalnum(c) ? (char)tolower(c) : '_';
    }
    out[j] = '\0';
}

/* Is w one of the '_'-separated words of s, or (w ending in '*') a prefix of one? */
static int has_word(const char *s, const char *w)
{
    size_t wl = strlen(w);
    int prefix = wl && w[wl - 1] == '*';
    if (prefix)
        wl--;
    for (const char *p = s; *p; p++) {
        if ((p != s && p[-1] != '_') || strncmp(p, w, wl) != 0)
            continue;
        char after = p[wl];
        if (prefix || after == '\0' || after == '_')
            return 1;
    }
    return 0;
}

static int any_word(const char *s, const char *const *ws)
{
    for (; *ws; ws++)
        if (has_word(s, *ws) || strcmp(s, *ws) == 0)
            return 1;
    return 0;
}

typedef struct name_rule {
    enum fake_kind kind;
    const char *words[12];
} name_rule;

/* First match wins: "password_hash" is a password before it is anything else. */
static const name_rule rules[] = {
    {FAKE_PASSWORD, {"password*", "passwd", "pass", "pwd", "passhash", "pw_hash", NULL}},
    {FAKE_API_KEY, {"api_key", "apikey", "token*", "secret*", "access_key", "key", NULL}},
    {FAKE_EMAIL, {"email*", "e_mail", "mail", NULL}},
    {FAKE_FIRST_NAME, {"first_name", "firstname", "given_name", "forename", "first", NULL}},
    {FAKE_LAST_NAME, {"last_name", "lastname", "surname", "family_name", NULL}},
    {FAKE_USERNAME, {"username", "user_name", "login", "handle", "nick*", "user", NULL}},
    {FAKE_PHONE, {"phone*", "mobile", "fax", "tel", "telephone", "cell", NULL}},
    {FAKE_IBAN, {"iban", "account_number", "bank_account", NULL}},
    {FAKE_CARD, {"card*", "cc", "pan", "credit_card", NULL}},
    {FAKE_STREET, {"street*", "address_line*", "line1", "line2", NULL}},
    {FAKE_CITY, {"city", "town", NULL}},
    {FAKE_ZIP, {"zip*", "postal*", "postcode", NULL}},
    {FAKE_COUNTRY, {"country", NULL}},
    {FAKE_ADDRESS, {"address*", "addr", NULL}},
    {FAKE_DATE, {"birth*", "dob", "birthday", "date", "hired", "day", NULL}},
    {FAKE_TIMESTAMP, {"created*", "updated*", "modified*", "at", "time*", "last_login", "seen",
                      "expires*", NULL}},
    {FAKE_MONEY, {"salary", "amount", "price", "balance", "cost", "total", "wage*", "fee*",
                  "bonus", "income", NULL}},
    {FAKE_FULL_NAME, {"name", "full_name", "fullname", "display_name", "owner", "author",
                      "contact", NULL}},
    {FAKE_PROSE, {"note*", "description", "comment*", "bio", "body", "message", "summary",
                  "remarks", "text", "content", NULL}},
    {FAKE_TITLE, {"title", "position", "job*", "occupation", NULL}},
};

static enum fake_store store_of(const char *type)
{
    char t[64];
    normalize(type, t, sizeof t);
    if (strstr(t, "bool"))
        return FAKE_AS_BOOL;
    if (strstr(t, "int") || strstr(t, "serial"))
        return FAKE_AS_INT;
    if (strstr(t, "real") || strstr(t, "floa") || strstr(t, "doub") || strstr(t, "numeric") ||
        strstr(t, "decimal") || strstr(t, "money"))
        return FAKE_AS_REAL;
    if (strstr(t, "blob") || strstr(t, "bytea"))
        return FAKE_AS_BLOB;
    return FAKE_AS_TEXT;
}

/* Tables whose rows are people: their "name" is a person's. */
static int people(const char *table)
{
    static const char *const kinds[] = {"employee*", "user*", "people", "person*", "customer*",
                                        "client*", "contact*", "staff", "member*", "account*",
                                        "author*", "patient*", "student*", "owner*", "manager*",
                                        "admin*", "partner*", "worker*", "profile*", NULL};
    char t[128];
    normalize(table, t, sizeof t);
    return any_word(t, kinds);
}

void fake_classify(const char *table, const char *name, const char *type, fake_column *out)
{
    char n[128], t[64];
    normalize(name ? name : "", n, sizeof n);
    normalize(type ? type : "", t, sizeof t);
    memset(out, 0, sizeof *out);
    out->store = store_of(t);
    out->date_only = strcmp(t, "date") == 0;
    const char *paren = type ? strchr(type, '(') : NULL;
    if (paren && out->store == FAKE_AS_TEXT)
        out->max_len = (size_t)strtoul(paren + 1, NULL, 10);
    static const enum fake_kind by_store[] = {FAKE_INT, FAKE_REAL, FAKE_BOOL, FAKE_TEXT,
                                              FAKE_BLOB};
    out->kind = by_store[out->store];
    if (out->store == FAKE_AS_BOOL || out->store == FAKE_AS_BLOB)
        return;
    if (strstr(t, "date") || strstr(t, "time")) {
        out->kind = has_word(n, "birth*") || has_word(n, "dob") || out->date_only
                        ? FAKE_DATE : FAKE_TIMESTAMP;
        return;
    }
    if (strcmp(n, "id") == 0 || (strlen(n) > 3 && strcmp(n + strlen(n) - 3, "_id") == 0))
        return; /* keys: by type */
    for (size_t i = 0; i < N(rules); i++) {
        if (!any_word(n, rules[i].words))
            continue;
        enum fake_kind k = rules[i].kind;
        /* A number column named like text is still a number: salary yes, "phone" digits. */
        if (out->store != FAKE_AS_TEXT && k != FAKE_MONEY && k != FAKE_DATE &&
            k != FAKE_TIMESTAMP && k != FAKE_PHONE && k != FAKE_ZIP)
            continue;
        out->kind = k == FAKE_FULL_NAME && table && !people(table) && strcmp(n, "name") == 0
                        ? FAKE_LABEL : k;
        return;
    }
}

/* ---- Values --------------------------------------------------------------------------- */

static void lower_ascii(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static void random_chars(fake_rng *g, const char *alphabet, char *out, size_t len)
{
    size_t n = strlen(alphabet);
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[fake_below(g, n)];
    out[len] = '\0';
}

static const char HEX[] = "0123456789abcdef";
static const char ALNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static void date_text(fake_rng *g, int64_t from, int64_t to, int date_only, char *out,
                      size_t n)
{
    time_t t = (time_t)between(g, from, to);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, date_only ? "%Y-%m-%d" : "%Y-%m-%d %H:%M:%S", &tm);
}

/* Luhn check digit over the first len digits, so that card numbers pass a validator. */
static char luhn(const char *d, size_t len)
{
    int sum = 0;
    for (size_t i = 0; i < len; i++) {
        int v = d[len - 1 - i] - '0';
        if (i % 2 == 0 && (v *= 2) > 9)
            v -= 9;
        sum += v;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

static void prose(fake_rng *g, char *out, size_t n)
{
    size_t count = 3 + fake_below(g, 8), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < count && len + 16 < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s", i ? " " : "", pick(g, words, N(words)));
    if (len)
        out[0] = (char)toupper((unsigned char)out[0]);
    if (len + 2 < n)
        memcpy(out + len, ".", 2);
}

static int same_shape(fake_rng *g, const char *shape, char *out, size_t n);

/* The value before the unique suffix and the length cap. */
static void base_value(fake_rng *g, const fake_column *c, int64_t row, char *out, size_t n)
{
    uint64_t who = g->persona ^ (uint64_t)row * 0x9e3779b97f4a7c15ULL;
    uint64_t hp = splitmix64(&who);
    const char *f = first_names[hp % N(first_names)];
    const char *l = last_names[(hp >> 32) % N(last_names)];
    int64_t year = 365LL * 86400;
    switch (c->kind) {
    case FAKE_INT:
        snprintf(out, n, "%lld", (long long)between(g, 1, 1000));
        break;
    case FAKE_REAL:
        snprintf(out, n, "%.2f", (double)between(g, 100, 100000) / 100.0);
        break;
    case FAKE_BOOL:
        snprintf(out, n, "%s", fake_below(g, 2) ? "t" : "f");
        break;
    case FAKE_BLOB:
        random_chars(g, HEX, out, n > 33 ? 32 : n - 1);
        break;
    case FAKE_TEXT:
    case FAKE_PROSE:
        prose(g, out, n);
        break;
    case FAKE_FIRST_NAME:
        snprintf(out, n, "%s", f);
        break;
    case FAKE_LAST_NAME:
        snprintf(out, n, "%s", l);
        break;
    case FAKE_FULL_NAME:
        snprintf(out, n, "%s %s", f, l);
        break;
    case FAKE_USERNAME:
        snprintf(out, n, "%c%s", (char)tolower((unsigned char)f[0]), l);
        lower_ascii(out);
        break;
    case FAKE_EMAIL:
        snprintf(out, n, "%s.%s@%s", f, l, pick(g, domains, N(domains)));
        lower_ascii(out);
        break;
    case FAKE_PHONE:
        snprintf(out, n, "+1 555 %03d %04d", (int)between(g, 100, 999), (int)between(g, 0, 9999));
        break;
    case FAKE_STREET:
        snprintf(out, n, "%d %s", (int)between(g, 1, 250), pick(g, streets, N(streets)));
        break;
    case FAKE_CITY:
        snprintf(out, n, "%s", pick(g, cities, N(cities)));
        break;
    case FAKE_ZIP:
        snprintf(out, n, "%05d", (int)between(g, 10000, 99999));
        break;
    case FAKE_COUNTRY:
        snprintf(out, n, "%s", pick(g, countries, N(countries)));
        break;
    case FAKE_ADDRESS:
        snprintf(out, n, "%d %s, %05d %s", (int)between(g, 1, 250), pick(g, streets, N(streets)),
                 (int)between(g, 10000, 99999), pick(g, cities, N(cities)));
        break;
    case FAKE_DATE: /* 1960 .. 2004: birthdays and hiring dates alike look right */
        date_text(g, -10 * year, 34 * year, 1, out, n);
        break;
    case FAKE_TIMESTAMP: /* 2019 .. 2025 */
        date_text(g, 49 * year, 55 * year, c->date_only, out, n);
        break;
    case FAKE_MONEY:
        snprintf(out, n, "%lld", (long long)between(g, 300, 1500) * 100);
        if (c->store == FAKE_AS_REAL)
            snprintf(out + strlen(out), n - strlen(out), ".%02d", (int)between(g, 0, 99));
        break;
    case FAKE_PASSWORD: { /* a hash nobody's password matches, without key stretching */
        if (fake_password_hash(g, c->hash_shape, NULL, out, n) < 0)
            fake_password_hash(g, NULL, NULL, out, n);
        break;
    }
    case FAKE_API_KEY: {
        char key[41];
        random_chars(g, ALNUM, key, 32);
        snprintf(out, n, "sk_live_%s", key);
        break;
    }
    case FAKE_IBAN: {
        char digits[19];
        random_chars(g, "0123456789", digits, 18);
        snprintf(out, n, "DE%02d%s", (int)between(g, 10, 99), digits);
        break;
    }
    case FAKE_CARD: {
        char d[17];
        d[0] = '4'; /* a Visa-like prefix */
        random_chars(g, "0123456789", d + 1, 14);
        d[15] = luhn(d, 15);
        d[16] = '\0';
        snprintf(out, n, "%s", d);
        break;
    }
    case FAKE_TITLE:
        snprintf(out, n, "%s", pick(g, titles, N(titles)));
        break;
    case FAKE_LABEL:
        snprintf(out, n, "%s", pick(g, labels, N(labels)));
        break;
    case FAKE_KIND__MAX:
        out[0] = '\0';
        break;
    }
}

/* Dates and numbers stored as such. */
static void as_store(fake_rng *g, const fake_column *c, int64_t row, char *out, size_t n)
{
    int64_t year = 365LL * 86400;
    if (c->kind == FAKE_DATE || c->kind == FAKE_TIMESTAMP) {
        int64_t t = c->kind == FAKE_DATE ? between(g, -10 * year, 34 * year)
                                         : between(g, 49 * year, 55 * year);
        snprintf(out, n, "%lld", (long long)(c->store == FAKE_AS_REAL ? t : t));
    } else if (c->kind == FAKE_PHONE) {
        snprintf(out, n, "1555%07lld", (long long)between(g, 0, 9999999));
    } else if (c->kind == FAKE_ZIP) {
        snprintf(out, n, "%d", (int)between(g, 10000, 99999));
    } else if (c->kind == FAKE_MONEY) {
        base_value(g, c, row, out, n);
    } else if (c->store == FAKE_AS_INT) {
        snprintf(out, n, "%lld", (long long)(c->unique ? row + 1 : between(g, 1, 1000)));
    } else {
        base_value(g, c, row, out, n);
    }
}

/* Puts the row number into a value so that it is unique: "anna.keller17@...", "Ben Abe 17". */
static int make_unique(const fake_column *c, int64_t row, char *out, size_t n)
{
    char tag[24];
    int tl = snprintf(tag, sizeof tag, "%lld", (long long)row + 1);
    size_t len = strlen(out);
    char *at = c->kind == FAKE_EMAIL ? strchr(out, '@') : NULL;
    size_t cut = at ? (size_t)(at - out) : len;
    const char *sep = c->kind == FAKE_EMAIL || c->kind == FAKE_USERNAME || c->kind == FAKE_API_KEY
                          ? "" : c->kind == FAKE_PHONE ? "" : " ";
    size_t extra = strlen(sep) + (size_t)tl;
    if (c->max_len && len + extra > c->max_len) {
        if (c->max_len < extra)
            return -1;
        size_t drop = len + extra - c->max_len;
        if (drop > cut)
            return -1;
        memmove(out + cut - drop, out + cut, len - cut + 1);
        cut -= drop;
        len -= drop;
    }
    if (len + extra + 1 > n)
        return -1;
    if (c->kind == FAKE_PHONE) { /* keep it a phone number: replace the last digits */
        if ((size_t)tl > len)
            return -1;
        memcpy(out + len - (size_t)tl, tag, (size_t)tl);
        return 0;
    }
    memmove(out + cut + extra, out + cut, len - cut + 1);
    memcpy(out + cut, sep, strlen(sep));
    memcpy(out + cut + strlen(sep), tag, (size_t)tl);
    return 0;
}

int fake_value(fake_rng *g, const fake_column *c, int64_t row, char *out, size_t n)
{
    if (n < 2)
        return -1;
    char tmp[512];
    if (c->store == FAKE_AS_TEXT || c->store == FAKE_AS_BLOB || c->store == FAKE_AS_BOOL)
        base_value(g, c, row, tmp, sizeof tmp);
    else
        as_store(g, c, row, tmp, sizeof tmp);
    if (c->unique && c->store == FAKE_AS_REAL)
        snprintf(tmp + strlen(tmp), sizeof tmp - strlen(tmp), "%s%lld",
                 strchr(tmp, '.') ? "" : ".", (long long)row + 1); /* digits after the point */
    else if (c->unique && c->store != FAKE_AS_INT && make_unique(c, row, tmp, sizeof tmp) < 0)
        return -1;
    if (c->max_len && strlen(tmp) > c->max_len)
        tmp[c->max_len] = '\0';
    size_t len = strlen(tmp);
    if (len + 1 > n)
        return -1;
    memcpy(out, tmp, len + 1);
    return (int)len;
}

/* ---- Passwords ------------------------------------------------------------------------ */

void fake_password(fake_rng *g, char *out, size_t n)
{
    static const char *const seasons[] = {"Winter", "Spring", "Summer", "Autumn", "Harbor",
                                          "Falcon", "Orchid", "Copper"};
    static const char *const marks[] = {"!", "#", "?", "$", "%"};
    snprintf(out, n, "%s-%04d%s", pick(g, seasons, N(seasons)), (int)between(g, 1000, 9999),
             pick(g, marks, N(marks)));
}

static void to_b64(const unsigned char *in, size_t len, char *out, size_t n, int adapted)
{
    if (n < 4 * ((len + 2) / 3) + 1) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    if (!adapted)
        return;
    /* passlib's "adapted base64": '.' for '+', no padding */
    for (char *p = out; *p; p++) {
        if (*p == '+')
            *p = '.';
        if (*p == '=') {
            *p = '\0';
            break;
        }
    }
}

/* The characters of one '$'-separated field, as a class: digits, hex, or letters and digits
 * with the punctuation the field uses ('+/' base64, './' bcrypt's, '-_' URL-safe), into buf. */
static const char *alphabet_of(const char *s, size_t len, char buf[72])
{
    int hex = 1, digits = 1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            digits = 0;
        if (!strchr(HEX, s[i]))
            hex = 0;
    }
    if (digits || hex)
        return digits ? "0123456789" : HEX;
    size_t n = strlen(ALNUM);
    memcpy(buf, ALNUM, n);
    for (const char *p = "+/.-_"; *p; p++)
        if (memchr(s, *p, len))
            buf[n++] = *p;
    buf[n] = '\0';
    return buf;
}

/* An unknown scheme: same fields, same lengths, same alphabets, new characters; the short
 * fields that name the scheme and its cost are kept (they are the scheme, not a secret). */
static int same_shape(fake_rng *g, const char *shape, char *out, size_t n)
{
    size_t len = strlen(shape), j = 0;
    if (len + 1 > n)
        return -1;
    const char *p = shape;
    while (*p) {
        size_t fl = strcspn(p, "$"), pad = 0;
        while (pad < fl && p[fl - 1 - pad] == '=')
            pad++; /* base64 padding stays padding */
        /* Kept: the scheme's name (the first field), a cost ("12", "600000"), parameters
         * ("v=19", "m=65536,t=3,p=4"). Redrawn: everything else (salts, hashes). */
        int first = j == 0 || (j == 1 && out[0] == '$');
        int cost = fl <= 7 && strspn(p, "0123456789") >= fl;
        int params = (fl - pad && memchr(p, '=', fl - pad)) || memchr(p, ',', fl);
        if ((first && fl <= 20) || cost || (params && fl <= 40)) {
            memcpy(out + j, p, fl);
        } else {
            char alphabet[72];
            random_chars(g, alphabet_of(p, fl - pad, alphabet), out + j, fl - pad);
            memset(out + j + fl - pad, '=', pad);
        }
        j += fl;
        p += fl;
        if (*p == '$')
            out[j++] = *p++;
    }
    out[j] = '\0';
    return (int)j;
}

/* The digest of password (NULL: random bytes, for rows whose password nobody is to know: the
 * same look without the key stretching). */
static int pbkdf2(fake_rng *g, const char *pw, const unsigned char *salt, size_t slen, int iter,
                  unsigned char dk[32])
{
    if (!pw) {
        for (int i = 0; i < 32; i++)
            dk[i] = (unsigned char)fake_next(g);
        return 0;
    }
    return PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, (int)slen, iter, EVP_sha256(), 32, dk) == 1
               ? 0 : -1;
}

/* The length of field k ('$'-separated) of shape, or dflt when it has none that fits. */
static size_t field_len(const char *shape, int k, size_t dflt, size_t max)
{
    for (int i = 0; shape && i < k && (shape = strchr(shape, '$')); i++)
        shape++;
    size_t len = shape ? strcspn(shape, "$") : 0;
    return len >= 4 && len <= max ? len : dflt;
}

static int cost(const char *s)
{
    int iter = s ? atoi(s) : 0;
    return iter >= 1 && iter <= 1000000 ? iter : 1000;
}

int fake_password_hash(fake_rng *g, const char *shape, const char *password, char *out,
                       size_t n)
{
    unsigned char dk[32];
    char salt[65], b64[64];
    int len = -1;
    if (shape && strlen(shape) == 64 && strspn(shape, HEX) == 64) {
        if (n < 65)
            return -1;
        if (password)
            SHA256((const unsigned char *)password, strlen(password), dk);
        else
            pbkdf2(g, NULL, NULL, 0, 0, dk);
        for (int i = 0; i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", dk[i]);
        return 64;
    }
    if (!shape || strncmp(shape, "pbkdf2_sha256$", 14) == 0) {
        int iter = cost(shape ? shape + 14 : NULL);
        size_t sl = field_len(shape, 2, 22, 64); /* the real salts' length: honey rows blend in */
        random_chars(g, ALNUM, salt, sl);
        if (pbkdf2(g, password, (const unsigned char *)salt, sl, iter, dk) < 0)
            return -1;
        to_b64(dk, 32, b64, sizeof b64, 0);
        len = snprintf(out, n, "pbkdf2_sha256$%d$%s$%s", iter, salt, b64);
    } else if (strncmp(shape, "pbkdf2-sha256$", 14) == 0) {
        /* PBKDF2-SHA256 with a 16-byte salt and the key in lowercase hex (the intranet demo's) */
        int iter = cost(shape + 14);
        unsigned char raw[16];
        char key[65];
        for (int i = 0; i < 16; i++)
            raw[i] = (unsigned char)fake_next(g);
        if (pbkdf2(g, password, raw, 16, iter, dk) < 0)
            return -1;
        for (int i = 0; i < 16; i++)
            snprintf(salt + 2 * i, 3, "%02x", raw[i]);
        for (int i = 0; i < 32; i++)
            snprintf(key + 2 * i, 3, "%02x", dk[i]);
        len = snprintf(out, n, "pbkdf2-sha256$%d$%s$%s", iter, salt, key);
    } else if (strncmp(shape, "$pbkdf2-sha256$", 15) == 0) {
        int iter = cost(shape + 15);
        unsigned char raw[16];
        for (int i = 0; i < 16; i++)
            raw[i] = (unsigned char)fake_next(g);
        to_b64(raw, 16, salt, sizeof salt, 1);
        if (pbkdf2(g, password, raw, 16, iter, dk) < 0)
            return -1;
        to_b64(dk, 32, b64, sizeof b64, 1);
        len = snprintf(out, n, "$pbkdf2-sha256$%d$%s$%s", iter, salt, b64);
    } else {
        return same_shape(g, shape, out, n);
    }
    return len > 0 && (size_t)len < n ? len : -1;
}
