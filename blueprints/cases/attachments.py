"""Case attachments: checked scans, photos and PDFs, stored outside static/, sent only to who may see the case."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

from flask import current_app, send_from_directory
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import SubmitField
from wtforms.validators import StopValidation

from blueprints.shared import commit_or_report
from models import Attachment, EventKind, PetitionEvent, Role

UPLOADERS = (Role.admin, Role.clerk, Role.handler, Role.leader)
CHUNK = 64 * 1024
MAX_NAME_LENGTH = 200  # Attachment.filename


class FileFormat:
    """One accepted kind of file: its MIME type, its magic bytes and whether a browser may show it inline."""

    def __init__(self, name: str, content_type: str, signatures: tuple[bytes, ...], inline: bool):
        self.name, self.content_type, self.signatures, self.inline = name, content_type, signatures, inline

    def matches(self, head: bytes) -> bool:
        return any(head.startswith(signature) for signature in self.signatures)


JPEG = FileFormat("JPEG", "image/jpeg", (b"\xff\xd8\xff",), inline=True)
PNG = FileFormat("PNG", "image/png", (b"\x89PNG\r\n\x1a\n",), inline=True)
PDF = FileFormat("PDF", "application/pdf", (b"%PDF-",), inline=True)
TIFF = FileFormat("TIFF", "image/tiff", (b"II*\x00", b"MM\x00*"), inline=False)  # browsers do not show TIFF
FORMATS = {".jpg": JPEG, ".jpeg": JPEG, ".png": PNG, ".pdf": PDF, ".tif": TIFF, ".tiff": TIFF}
INLINE_TYPES = frozenset(f.content_type for f in FORMATS.values() if f.inline)
SIGNATURE_LENGTH = max(len(s) for f in FORMATS.values() for s in f.signatures)


class UploadRefused(Exception):
    """Nothing was stored; `messages` says why, one line per file."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def readable_size(size: int) -> str:
    """1536 → 2 KB, 10485760 → 10 MB (binary units, written the way people write them)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def display_name(raw: str | None) -> str:
    """The name shown for a file: no folders (`../../etc/passwd.pdf` → `passwd.pdf`), no control characters."""
    name = unicodedata.normalize("NFC", raw or "")
    # Control and format characters go first (a right-to-left override can disguise `exe.pdf`).
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        stem, suffix = os.path.splitext(name)
        name = stem[:MAX_NAME_LENGTH - len(suffix)] + suffix
    return name


def file_format(name: str) -> FileFormat | None:
    return FORMATS.get(os.path.splitext(name)[1].lower())


def measure(upload) -> tuple[int, bytes]:
    """(size in bytes, first bytes) of an uploaded file, leaving its stream at the start."""
    stream = upload.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(SIGNATURE_LENGTH)
    stream.seek(0)
    return size, head


def upload_problems(files) -> list[str]:
    """One message per refused file, naming it; an empty list when every file may be stored."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    messages = []
    for upload in files:
        name = display_name(upload.filename)
        kind = file_format(name)
        if not name:
            shown = "".join(ch for ch in upload.filename or "" if unicodedata.category(ch)[0] != "C")
            messages.append(_("“%(name)s” is not a usable file name.", name=shown))
            continue
        if kind is None:
            messages.append(_("“%(name)s”: only JPEG, PNG, PDF and TIFF files are accepted.", name=name))
            continue
        size, head = measure(upload)
        if size == 0:
            messages.append(_("“%(name)s” is empty.", name=name))
        elif size > limit:
            messages.append(_("“%(name)s” is %(size)s; a file may be at most %(limit)s.",
                              name=name, size=readable_size(size), limit=readable_size(limit)))
        elif not kind.matches(head):
            messages.append(_("“%(name)s” is not really a %(kind)s file: its contents do not match its name.",
                              name=name, kind=kind.name))
    return messages


def check_uploads(form, field) -> None:
    """WTForms validator for a MultipleFileField: every file's problem becomes an error of that field."""
    messages = upload_problems(field.data or [])
    if messages:
        field.errors.extend(messages)
        raise StopValidation()


def attachment_dir() -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"])


def reserve_name(directory: Path, suffix: str) -> str:
    """A new random file name, claimed on disk (O_EXCL) so no existing file is ever replaced."""
    while True:
        name = secrets.token_hex(16) + suffix
        try:
            os.close(os.open(directory / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return name
        except FileExistsError:
            continue


def write_atomically(directory: Path, stored_name: str, stream) -> tuple[int, str]:
    """Copy the stream over the reserved directory/stored_name through a temporary file; return (size, sha256).

    The name only ever holds nothing or the whole file: readers never see a half-written one.
    """
    digest, size = hashlib.sha256(), 0
    stream.seek(0)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, directory / stored_name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        (directory / stored_name).unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def remove_files(attachments) -> None:
    """Delete the stored bytes of attachments whose rows were not saved."""
    directory = attachment_dir()
    for attachment in attachments:
        (directory / attachment.stored_name).unlink(missing_ok=True)


def write_uploads(files, row_class, user, what: str) -> list:
    """Check every file, then write each under ATTACHMENT_DIR and make its row of `row_class` (Attachment or
    InspectionEvidence; not added to the session).

    Raises UploadRefused with one message per bad file before anything is written; when writing fails, removes what
    was written. Commit with `commit_uploads`, which removes the written files again when the commit fails."""
    files = [upload for upload in files or [] if upload]
    messages = upload_problems(files)
    if messages:
        raise UploadRefused(messages)
    directory = attachment_dir()
    added = []
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for upload in files:
            name = display_name(upload.filename)
            stored_name = reserve_name(directory, os.path.splitext(name)[1].lower())
            size, sha256 = write_atomically(directory, stored_name, upload.stream)
            added.append(row_class(filename=name, stored_name=stored_name, content_type=file_format(name).content_type,
                                   size=size, sha256=sha256, uploaded_by_id=user.id))
    except OSError:
        current_app.logger.exception("Could not store %s under %s", what, directory)
        remove_files(added)
        raise UploadRefused([_("The files could not be saved on the server. Please tell the administrator.")])
    return added


def store_uploads(petition, files, user) -> list[Attachment]:
    """Write the files (see `write_uploads`) and add them to the case with a timeline line each (not committed)."""
    added = write_uploads(files, Attachment, user, "attachments")
    for attachment in added:
        petition.attachments.append(attachment)
        petition.events.append(PetitionEvent(kind=EventKind.attachment, happened_on=date.today(),
                                             text=attachment.filename, author_id=user.id))
    return added


def send_stored(record):
    """Send a stored file (an attachment or evidence): its own type, inline only when safe to show, a safe name,
    kept out of shared caches."""
    response = send_from_directory(attachment_dir(), record.stored_name, mimetype=record.content_type,
                                   as_attachment=record.content_type not in INLINE_TYPES,
                                   download_name=record.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def commit_uploads(attachments) -> bool:
    """Commit once; when the commit fails, the files just written are removed so nothing is half-saved."""
    try:
        saved = commit_or_report()
    except Exception:
        remove_files(attachments)
        raise
    if not saved:
        remove_files(attachments)
    return saved


class AttachmentForm(FlaskForm):
    """Upload one or more files to a case."""

    files = MultipleFileField(_l("Attachments"),
                              validators=[FileRequired(_l("Choose at least one file.")), check_uploads],
                              render_kw={"accept": ",".join(FORMATS)})
    submit = SubmitField(_l("Upload"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:  # the case page holds several forms: keep element ids unique
            field.id = field.label.field_id = f"attachment-{field.name}"


def upload_form_for(user) -> AttachmentForm | None:
    """The upload form for the case page, or None for roles that may not upload."""
    if user.role not in UPLOADERS:
        return None
    form = AttachmentForm()
    form.files.description = _("JPEG, PNG, PDF or TIFF; at most %(limit)s per file.",
                               limit=readable_size(current_app.config["ATTACHMENT_MAX_BYTES"]))
    return form
