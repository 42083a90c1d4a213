"""The trap detector's bait in pages: {{mitsu.trap_link}} renders a link people never see and
{{mitsu.honey_field}} a form field people never fill; following the one or filling the other
flags the client. Each test is its own client: its own 127.0.x.y address."""
import os
import re
import shutil
import tempfile

from harness import BUILD, Client, Server, run, test

APP = os.environ.get("HP_TEST_SERVER", os.path.join(BUILD, "tests", "hpapp-asan"))
PAGE = "<p>{{mitsu.trap_link}}</p>\n<form method=post>{{mitsu.honey_field}}</form>\n"


class BaitServer(Server):
    """hpapp with a templates directory holding bait.html."""

    def __init__(self, page=PAGE, **env):
        self.dir = tempfile.mkdtemp(prefix="mitsu-bait-")
        with open(os.path.join(self.dir, "bait.html"), "w") as f:
            f.write(page)
        e = {"MITSU_JOURNAL_LOG": "off", "MITSU_APP_TEMPLATES": self.dir}
        e.update(env)
        super().__init__(binary=APP, env=e)

    def stop(self, timeout=15):
        try:
            return super().stop(timeout)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def link_of(body):
    m = re.search(r'<a href="([^"]*)"[^>]*>', body)
    assert m, body
    return m.group(0), m.group(1)


@test
def the_trap_link_is_hidden_from_people_screen_readers_and_polite_crawlers():
    with BaitServer() as srv:
        status, _, body, _ = Client(srv).get("/bait")
        assert status == 200, body
        tag, href = link_of(body)
        assert href == "/admin-backup/", tag  # the first robots.txt bait path
        for attr in ('aria-hidden="true"', 'tabindex="-1"', 'rel="nofollow"', "left:-10000px"):
            assert attr in tag, (attr, tag)
        assert "display:none" not in body and "hidden>" not in body, body


@test
def the_honey_field_is_hidden_unfocusable_and_not_autofilled():
    with BaitServer() as srv:
        body = Client(srv).get("/bait")[2]
        m = re.search(r'<div aria-hidden="true" style="[^"]*left:-10000px[^"]*">'
                      r'<label>website <input ([^>]*)></label></div>', body)
        assert m, body
        for attr in ('type="text"', 'name="website"', 'value=""', 'tabindex="-1"',
                     'autocomplete="off"'):
            assert attr in m.group(1), (attr, m.group(1))


@test
def viewing_the_page_is_harmless_following_the_link_flags():
    with BaitServer() as srv:
        c = Client(srv)
        body = c.get("/bait")[2]
        assert "state=normal" in c.state()
        c.get(link_of(body)[1])
        assert "state=attacker decoy=1" in c.state(), c.state()


@test
def an_empty_honey_field_is_fine_a_filled_one_flags():
    with BaitServer() as srv:
        person, bot = Client(srv), Client(srv)
        person.post_form("/api/contact", email="a@example.com", website="")
        assert "state=normal" in person.state(), person.state()
        bot.post_form("/api/contact", email="a@example.com", website="http://spam.example")
        assert "state=attacker" in bot.state(), bot.state()


@test
def a_filled_honey_field_in_the_query_flags_too():
    with BaitServer() as srv:
        bot = Client(srv)
        bot.get("/api/search?q=x&website=spam")
        assert "state=attacker" in bot.state(), bot.state()


@test
def the_field_name_is_configurable():
    with BaitServer(MITSU_TRAP_HONEY_FIELD="fax_number") as srv:
        body = Client(srv).get("/bait")[2]
        assert 'name="fax_number"' in body and 'name="website"' not in body, body
        person, bot = Client(srv), Client(srv)
        person.post_form("/api/profile", website="https://my.home.page")
        assert "state=normal" in person.state()
        bot.post_form("/api/profile", fax_number="123")
        assert "state=attacker" in bot.state()


@test
def a_diverted_client_gets_the_same_page():
    with BaitServer() as srv:
        normal, attacker = Client(srv), Client(srv)
        attacker.get("/.env")
        assert "decoy=1" in attacker.state()
        assert normal.get("/bait")[2] == attacker.get("/bait")[2]


@test
def with_the_trap_detector_off_the_names_are_plain_context_names():
    with BaitServer(MITSU_TRAP_ENABLED="false") as srv:
        c = Client(srv)
        body = c.get("/bait")[2]
        assert body == "<p></p>\n<form method=post></form>\n", body
        c.post_form("/api/contact", website="spam")
        assert "state=normal" in c.state()


if __name__ == "__main__":
    run()
