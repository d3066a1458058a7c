"""The public privacy crawl: a browser without a login follows every link reachable from `/`, on a database with a
unique marker in every text column, and no private marker is in any answer or on any rendered page (DOMAIN §6)."""
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from models import Petition, ReceptionSession, Role, SessionStatus, db
from tests.browser.test_pages import shot
from tests.marked_data import PASSWORD, PERSONAL, PLAIN, PUBLIC, seed, users

pytestmark = pytest.mark.browser
MAX_URLS = 300
MAX_DEPTH = 6  # "later sessions" pages lead on forever, a month at a time
LINKS = """() => [
  ...Array.from(document.querySelectorAll('a[href], link[href]'), element => element.href),
  ...Array.from(document.forms).filter(form => (form.getAttribute('method') || 'get').toLowerCase() === 'get')
    .map(form => {
      const url = new URL(form.action);
      url.search = new URLSearchParams(new FormData(form));
      return url.href;
    }),
]"""


@pytest.fixture
def marked(app, tmp_path):
    """The live server's database with a plain marker in every text column: {marker: (table, column)}."""
    app.config["ATTACHMENT_DIR"] = str(tmp_path)
    with app.app_context():
        return seed(PLAIN, tmp_path)


def crawl(context, origin: str) -> dict[str, tuple[int, str, str, str]]:
    """Breadth first from `/`: {url: (status, content type, body, rendered text or "")}; pages are opened in the
    browser, everything else (the .ics feed, JSON, style sheets) fetched through the context's request client."""
    page = context.new_page()
    found, queue = {}, deque([(f"{origin}/", 0)])
    while queue and len(found) < MAX_URLS:
        url, depth = queue.popleft()
        if url in found:
            continue
        answer = context.request.get(url, max_redirects=0)
        kind = answer.headers.get("content-type", "")
        body, rendered, links = answer.text() if not kind.startswith("image/") else "", "", []
        if kind.startswith("text/html") and answer.status == 200:
            page.goto(url)
            rendered = page.inner_text("body")
            links = page.evaluate(LINKS)
        elif answer.status in (301, 302, 303) and answer.headers.get("location"):
            links = [answer.headers["location"]]
        found[url] = (answer.status, kind, body, rendered)
        if depth < MAX_DEPTH:
            for link in links:
                link = urldefrag(link if "://" in link else origin + link).url
                if urlsplit(link).netloc == urlsplit(origin).netloc and link not in found:
                    queue.append((link, depth + 1))
    page.close()
    return found


def test_nothing_private_is_reachable_from_the_public_pages(app, browser, live_server, marked):
    private = [marker for marker, column in marked.items() if column not in PUBLIC]
    public = [marker for marker, column in marked.items() if column in PUBLIC]
    assert {marked[m] for m in private} >= PERSONAL and len(public) == len(PUBLIC)
    # A draft session is not public, not even its public fields: their values end in "#<the draft's id>".
    with app.app_context():
        drafts = db.session.scalars(db.select(ReceptionSession.id).where(
            ReceptionSession.status == SessionStatus.draft)).all()
    assert drafts
    draft_values = re.compile("|".join(re.escape(f"{m}#{i}") + r"(?!\d)" for m in public
                                       if marked[m][0] == "reception_session" for i in drafts))
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    found = crawl(context, live_server)

    for url, (status, kind, body, rendered) in found.items():
        assert status < 500, (url, status)
        leaked = [(marked[m], m) for m in private if m in body or m in rendered]
        assert not leaked, (url, leaked)
        draft = draft_values.search(body + rendered)
        assert draft is None, (url, draft and draft.group())
    paths = {urlsplit(url).path for url, (status, *_rest) in found.items() if status == 200}
    assert {"/", "/notice", "/receptions.ics", "/api/v1/receptions", "/auth/login"} <= paths, paths
    assert found[f"{live_server}/receptions.ics"][1].startswith("text/calendar")
    english = [url for url, (status, kind, body, _) in found.items() if '<html lang="en">' in body]
    assert english, "the crawl never reached the English version"
    # The crawl did read the data: the public fields' markers are on the schedule.
    shown = found[f"{live_server}/"][3]
    assert {marked[m] for m in public if m in shown} >= {("leader", "name"), ("reception_session", "place"),
                                                         ("reception_session", "topic")}
    assert len(found) >= 20, len(found)

    page = context.new_page()
    page.goto(f"{live_server}/")
    shot(page, "public-privacy-schedule")
    context.close()


def test_a_clerk_does_see_the_markers_on_the_case_page(app, browser, live_server, marked):
    """The other half: the same markers are on the case page for a logged-in clerk, so their absence above counts."""
    with app.app_context():
        clerk = users()[Role.clerk].username
        case = db.session.scalars(db.select(Petition).where(Petition.persons == 2, Petition.leader_id.is_not(None))
                                  .order_by(Petition.id.desc())).first()
        case_id, name = case.id, case.petitioners[0].name
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.fill("#username", clerk)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{live_server}/auth/home*")
    page.goto(f"{live_server}/cases/{case_id}")
    text = page.inner_text("body")
    shown = {marked[m] for m in marked if m in text}
    assert name in text
    assert {("petition", "summary"), ("petitioner", "name"), ("petition", "number"), ("petition_event", "text"),
            ("attachment", "filename"), ("user_account", "display_name")} <= shown, shown
    shot(page, "public-privacy-clerk-case")
    context.close()
