"""Chinese by default, English on request, and no interface text left untranslated."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from models import Role

ROOT = Path(__file__).resolve().parent.parent
CHINESE_CATALOG = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def extracted_ids(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "--ignore-dirs", ".* _* tests bench migrations", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_every_interface_string_has_a_chinese_translation(tmp_path):
    with CHINESE_CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    # A plural entry's string is a tuple: ('',) is truthy, so every form must be filled.
    translated = {m.id for m in catalog if m.id and not m.fuzzy
                  and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(extracted_ids(tmp_path) - translated)
    assert missing == [], "run `make extract-messages` and translate: " + "; ".join(map(str, missing[:20]))


def test_pages_are_chinese_by_default_even_for_english_browsers(client):
    page = client.get("/auth/login", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "工作人员登录" in page


def test_switching_to_english_and_back(client, login):
    login(Role.clerk)
    response = client.post("/auth/language/en", data={"next": "/auth/home"})
    assert response.headers["Location"] == "/auth/home"
    page = client.get("/auth/home").get_data(as_text=True)
    assert 'lang="en"' in page and "Log out" in page and "Office staff" in page
    errors = client.post("/auth/password", data={}).get_data(as_text=True)
    assert "This field is required." in errors
    client.post("/auth/language/zh_CN")
    assert "退出登录" in client.get("/auth/home").get_data(as_text=True)


def test_form_errors_and_error_pages_follow_the_language(client):
    assert "该字段是必填字段" in client.post("/auth/login", data={}).get_data(as_text=True)
    client.post("/auth/language/en")
    assert "The page you asked for does not exist." in client.get("/missing").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/auth/language/xx")
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)
