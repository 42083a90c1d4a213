"""The mitsu command: check-config exit statuses and messages, help and unknown commands."""
import os
import subprocess
import tempfile

from harness import BUILD, ROOT, run, test

MITSU = os.path.join(BUILD, "mitsu")


def mitsu(*args, env=None):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("MITSU_"):
            del e[k]
    if env:
        e.update(env)
    p = subprocess.run([MITSU, *args], capture_output=True, text=True, env=e, timeout=30)
    return p.returncode, p.stdout, p.stderr


def ini(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False)
    f.write(text)
    f.close()
    return f.name


@test
def check_config_accepts_a_valid_file():
    rc, out, _ = mitsu("check-config", os.path.join(ROOT, "tests/data/config/full.ini"))
    assert rc == 0, rc
    assert "ok" in out


@test
def check_config_rejects_with_file_and_line():
    path = ini("[server]\nworkers = many\ncolour = blue\n")
    rc, _, err = mitsu("check-config", path)
    os.unlink(path)
    assert rc == 2, rc
    assert "%s:2:" % path in err, err
    assert "%s:3: unknown key 'colour'" % path in err, err


@test
def check_config_applies_environment_overrides():
    path = ini("[server]\nworkers = 2\n")
    rc, _, err = mitsu("check-config", path, env={"MITSU_SERVER_WORKERS": "lots"})
    os.unlink(path)
    assert rc == 2, (rc, err)
    assert "MITSU_SERVER_WORKERS" in err, err


@test
def check_config_missing_file_is_an_error():
    rc, _, err = mitsu("check-config", "/nonexistent/mitsu.ini")
    assert rc == 2 and "cannot read" in err, (rc, err)


@test
def help_and_unknown_commands():
    rc, out, _ = mitsu("--help")
    assert rc == 0 and "check-config" in out
    rc, out, _ = mitsu("check-config", "--help")
    assert rc == 0 and "usage: mitsu check-config FILE" in out
    rc, out, _ = mitsu("decoy", "init", "--help")
    assert rc == 0 and "usage: mitsu decoy init --from REAL --to DECOY" in out and "--force" in out
    rc, out, _ = mitsu("decoy", "diff", "--help")
    assert rc == 0 and "usage: mitsu decoy diff CLIENT" in out
    rc, _, err = mitsu("frobnicate")
    assert rc == 2 and "unknown command" in err
    rc, _, _ = mitsu()
    assert rc == 2


run()
