"""Attachments of a case through the pages: upload, download, refusals that store nothing, and who may see them."""
import hashlib
import io
from pathlib import Path

import pytest
from flask import render_template
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from blueprints.cases.attachments import AttachmentForm, display_name
from models import Attachment, EventKind, Petition, PetitionEvent, Purpose, Role, db
from tests.conftest import PASSWORD, csrf_token_from
from tests.test_cases import register_form

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64


@pytest.fixture
def files_dir(app, tmp_path):
    """Attachments go to a temporary folder for the test."""
    folder = tmp_path / "attachments"
    app.config["ATTACHMENT_DIR"] = str(folder)
    return folder


def use_english(client):
    """Assertions on messages read the English source strings, whatever the catalog says."""
    with client.session_transaction() as session:
        session["lang"] = "en"


def upload(client, petition_id, *files, follow=False):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/cases/{petition_id}/attachments", data=data, content_type="multipart/form-data",
                       follow_redirects=follow)


def download(client, petition_id, attachment_id):
    """GET an attachment, read and closed (send_file keeps the file open until the response is closed)."""
    with client.get(f"/cases/{petition_id}/attachments/{attachment_id}") as response:
        response.get_data()
    return response


def stored(app, folder):
    """(attachment rows, timeline lines for attachments, files on disk)."""
    with app.app_context():
        rows = db.session.scalar(db.select(db.func.count(Attachment.id)))
        events = db.session.scalar(
            db.select(db.func.count(PetitionEvent.id)).where(PetitionEvent.kind == EventKind.attachment))
    files = sorted(path.name for path in folder.iterdir()) if folder.exists() else []
    return rows, events, files


def only_attachment(app):
    with app.app_context():
        attachment = db.session.scalar(db.select(Attachment))
        db.session.expunge(attachment)
        return attachment


def test_clerk_uploads_a_png_and_a_pdf_and_downloads_them_back(app, client, login, make_petition, files_dir):
    user = login(Role.clerk)
    petition_id = make_petition()
    response = upload(client, petition_id, ("scan.png", PNG), ("信访材料.pdf", PDF))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{petition_id}#attachments"
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        attachments = {a.filename: a for a in petition.attachments}
        assert set(attachments) == {"scan.png", "信访材料.pdf"}
        png = attachments["scan.png"]
        assert (png.content_type, png.size, png.sha256) == ("image/png", len(PNG), hashlib.sha256(PNG).hexdigest())
        assert png.uploaded_by_id == user.id and png.stored_name.endswith(".png") and "scan" not in png.stored_name
        lines = [(e.kind, e.text, e.author_id) for e in petition.events if e.kind is EventKind.attachment]
        assert sorted(lines) == sorted([(EventKind.attachment, "scan.png", user.id),
                                        (EventKind.attachment, "信访材料.pdf", user.id)])
        ids = {name: a.id for name, a in attachments.items()}
        assert (files_dir / png.stored_name).read_bytes() == PNG

    for name, content, content_type in (("scan.png", PNG, "image/png"), ("信访材料.pdf", PDF, "application/pdf")):
        response = download(client, petition_id, ids[name])
        assert response.status_code == 200
        assert response.data == content
        assert response.headers["Content-Type"] == content_type
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("inline")
        assert "no-store" in response.headers["Cache-Control"]
    assert "filename*=UTF-8''%E4%BF%A1" in response.headers["Content-Disposition"]  # the Chinese name survives


def test_tiff_is_accepted_and_always_sent_as_a_download(app, client, login, make_petition, files_dir):
    login(Role.clerk)
    petition_id = make_petition()
    assert upload(client, petition_id, ("fax.TIFF", TIFF)).status_code == 302
    attachment = only_attachment(app)
    response = download(client, petition_id, attachment.id)
    assert response.data == TIFF and response.headers["Content-Type"] == "image/tiff"
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("files, message", [
    ([("setup.exe", b"MZ\x90\x00")], "“setup.exe”: only JPEG, PNG, PDF and TIFF files are accepted."),
    ([("photo.png", b"GIF89a not a png at all")], "“photo.png” is not really a PNG file"),
    ([("letter.pdf", PNG)], "“letter.pdf” is not really a PDF file"),
    ([("empty.jpg", b"")], "“empty.jpg” is empty."),
    ([("..", PDF)], "“..” is not a usable file name."),
    # One bad file refuses the whole upload: the good one is not stored either.
    ([("scan.png", PNG), ("virus.exe", b"MZ")], "“virus.exe”: only JPEG"),
])
def test_bad_files_are_refused_by_name_and_nothing_is_stored(app, client, login, make_petition, files_dir,
                                                             files, message):
    login(Role.clerk)
    use_english(client)
    petition_id = make_petition()
    page = upload(client, petition_id, *files, follow=True).get_data(as_text=True)
    assert f"Attachments: {message}" in page
    assert "No file was saved" in page
    assert stored(app, files_dir) == (0, 0, [])


def test_a_file_over_the_per_file_limit_is_refused(app, client, login, make_petition, files_dir):
    app.config["ATTACHMENT_MAX_BYTES"] = 2048
    login(Role.clerk)
    use_english(client)
    petition_id = make_petition()
    page = upload(client, petition_id, ("big.pdf", PDF + b" " * 3000), follow=True).get_data(as_text=True)
    assert "Attachments: “big.pdf” is 3 KB; a file may be at most 2 KB." in page
    assert stored(app, files_dir) == (0, 0, [])


def post_oversized(client, petition_id):
    """A body just over MAX_CONTENT_LENGTH (20 MB), encoded in memory: the test client's own temporary
    file for big bodies is never closed after a 413."""
    huge = FileStorage(io.BytesIO(b"%PDF-" + b"0" * (20 * 1024 * 1024 - 4)), "huge.pdf")
    body, _, boundary = stream_encode_multipart({"files": huge}, use_tempfile=False)
    return client.post(f"/cases/{petition_id}/attachments", data=body.getvalue(),
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_an_upload_over_20_mb_gets_413_with_a_message_and_stores_nothing(app, client, login, make_petition,
                                                                         files_dir):
    login(Role.clerk)
    use_english(client)
    response = post_oversized(client, make_petition())
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Attachments: the files sent together are larger than 20 MB" in page
    assert "each at most 10 MB" in page
    assert stored(app, files_dir) == (0, 0, [])


def test_with_csrf_on_the_oversized_upload_is_refused_before_the_token_check(csrf_app, make_user, make_petition,
                                                                              tmp_path):
    csrf_app.config["ATTACHMENT_DIR"] = str(tmp_path)
    client = csrf_app.test_client()
    user = make_user(Role.clerk)
    token = csrf_token_from(client.get("/auth/login").data)
    assert client.post("/auth/login", data={"username": user.username, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    use_english(client)
    response = post_oversized(client, make_petition())
    assert response.status_code == 413
    assert "Attachments: the files sent together are larger than 20 MB" in response.get_data(as_text=True)
    assert list(tmp_path.iterdir()) == []


def test_no_file_chosen_is_refused(app, client, login, make_petition, files_dir):
    login(Role.clerk)
    use_english(client)
    petition_id = make_petition()
    page = client.post(f"/cases/{petition_id}/attachments", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Attachments: Choose at least one file." in page
    assert stored(app, files_dir) == (0, 0, [])


def test_a_path_in_the_file_name_is_dropped_and_the_file_stays_inside_the_folder(app, client, login, make_petition,
                                                                                 files_dir, tmp_path):
    login(Role.clerk)
    petition_id = make_petition()
    assert upload(client, petition_id, ("../../evil.pdf", PDF)).status_code == 302
    attachment = only_attachment(app)
    assert attachment.filename == "evil.pdf"
    path = files_dir / attachment.stored_name
    assert path.resolve().parent == files_dir.resolve() and path.read_bytes() == PDF
    assert [p.name for p in tmp_path.rglob("evil.pdf")] == []
    assert [p for p in files_dir.iterdir()] == [path]  # no temporary file left behind


@pytest.mark.parametrize("raw, shown", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\wang\\扫描件.jpg", "扫描件.jpg"),
    ("bad\x00name\x07.png", "badname.png"),
    ("invoice\u202egnp.exe.pdf", "invoicegnp.exe.pdf"),  # a right-to-left override cannot disguise the name
    ("  two   spaces .pdf ", "two spaces .pdf"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ("../", ""),
])
def test_display_names_lose_folders_and_control_characters(raw, shown):
    assert display_name(raw) == shown


def test_when_the_commit_fails_the_written_files_are_removed(app, client, login, make_petition, files_dir,
                                                             monkeypatch):
    def failing_commit():
        db.session.rollback()
        return False

    monkeypatch.setattr("blueprints.cases.attachments.commit_or_report", failing_commit)
    login(Role.clerk)
    petition_id = make_petition()
    upload(client, petition_id, ("scan.png", PNG), ("letter.pdf", PDF))
    assert stored(app, files_dir) == (0, 0, [])


def test_the_handling_unit_uploads_and_downloads(app, client, login, make_unit, make_petition, files_dir):
    unit = make_unit()
    login(Role.handler, unit=unit)
    petition_id = make_petition(lead_unit=unit)
    assert upload(client, petition_id, ("reply.pdf", PDF)).status_code == 302
    attachment = only_attachment(app)
    assert download(client, petition_id, attachment.id).data == PDF


def test_supervisors_may_download_but_not_upload(app, client, login, make_petition, files_dir):
    login(Role.clerk)
    petition_id = make_petition()
    upload(client, petition_id, ("scan.png", PNG))
    attachment = only_attachment(app)
    client.post("/auth/logout")
    login(Role.supervisor)
    assert download(client, petition_id, attachment.id).status_code == 200
    assert upload(client, petition_id, ("more.png", PNG)).status_code == 403
    assert stored(app, files_dir)[0] == 1


def test_others_get_404_and_the_accused_unit_learns_nothing(app, client, login, make_unit, make_petition,
                                                            files_dir):
    lead, accused, unrelated = make_unit(), make_unit(), make_unit()
    login(Role.clerk)
    ordinary = make_petition(lead_unit=lead)
    accusation = make_petition(purpose=Purpose.accusation, lead_unit=lead, accused_unit=accused)
    upload(client, ordinary, ("a.pdf", PDF))
    upload(client, accusation, ("b.pdf", PDF))
    with app.app_context():
        ids = dict(db.session.execute(db.select(Attachment.petition_id, Attachment.id)).all())
    # The attachment must belong to the case in the URL, even for the office.
    assert download(client, ordinary, ids[accusation]).status_code == 404
    client.post("/auth/logout")

    login(Role.handler, unit=unrelated)
    assert download(client, ordinary, ids[ordinary]).status_code == 404
    assert upload(client, ordinary, ("c.pdf", PDF)).status_code == 404
    client.post("/auth/logout")

    # Even a member of the accused unit who would otherwise see the case (it also handles it) gets nothing.
    login(Role.handler, unit=accused)
    with app.app_context():
        db.session.get(Petition, accusation).lead_unit_id = accused.id
        db.session.commit()
    assert download(client, accusation, ids[accusation]).status_code == 404
    assert upload(client, accusation, ("d.pdf", PDF)).status_code == 404
    assert stored(app, files_dir)[0] == 2


def test_anonymous_users_are_sent_to_login(app, client, login, make_petition, files_dir):
    login(Role.clerk)
    petition_id = make_petition()
    upload(client, petition_id, ("scan.png", PNG))
    attachment = only_attachment(app)
    client.post("/auth/logout")
    for response in (download(client, petition_id, attachment.id),
                     upload(client, petition_id, ("scan.png", PNG))):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    assert stored(app, files_dir)[0] == 1


def test_files_are_kept_in_the_instance_folder_not_under_static(app, client, login, make_petition):
    default = Path(app.config["ATTACHMENT_DIR"])
    assert default == Path(app.instance_path) / "attachments"
    assert not default.resolve().is_relative_to(Path(app.static_folder).resolve())


def test_stored_files_are_not_reachable_as_static_files(app, client, login, make_petition, files_dir):
    login(Role.clerk)
    petition_id = make_petition()
    upload(client, petition_id, ("scan.png", PNG))
    attachment = only_attachment(app)
    assert not files_dir.resolve().is_relative_to(Path(app.static_folder).resolve())
    assert client.get(f"/static/{attachment.stored_name}").status_code == 404
    assert client.get(f"/static/../instance/attachments/{attachment.stored_name}").status_code == 404


def test_the_partial_lists_attachments_and_shows_the_form(app, client, login, make_petition, files_dir):
    login(Role.clerk)
    petition_id = make_petition()
    upload(client, petition_id, ("scan.png", PNG))
    with app.test_request_context():
        item = db.session.get(Petition, petition_id)
        html = render_template("cases/_attachments.html", item=item, upload_form=AttachmentForm())
        attachment = item.attachments[0]
        assert f'href="/cases/{petition_id}/attachments/{attachment.id}">scan.png</a>' in html
        assert "1 KB" in html and attachment.uploaded_by.display_name in html
        assert 'enctype="multipart/form-data"' in html and "multiple" in html
        assert 'id="attachment-files"' in html and 'for="attachment-files"' in html
        assert f'action="/cases/{petition_id}/attachments"' in html
        without_form = render_template("cases/_attachments.html", item=item, upload_form=None)
        assert "<form" not in without_form and "scan.png" in without_form


def test_files_come_with_the_registration_or_the_registration_waits(app, client, login, category, files_dir):
    login(Role.clerk)
    refused = client.post("/cases/new", content_type="multipart/form-data", data={
        **register_form(category, summary="带附件登记"), "attachments": [(io.BytesIO(b"MZ\x90\x00"), "setup.exe")]})
    assert refused.status_code == 200 and "setup.exe" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Petition.id))) == 0
    response = client.post("/cases/new", content_type="multipart/form-data", data={
        **register_form(category, summary="带附件登记"), "attachments": [(io.BytesIO(PNG), "scan.png")]})
    assert response.status_code == 302
    with app.app_context():
        petition = db.session.scalar(db.select(Petition))
        assert [attachment.filename for attachment in petition.attachments] == ["scan.png"]
        assert (files_dir / petition.attachments[0].stored_name).read_bytes() == PNG
