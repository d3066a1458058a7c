"""Attachment routes: upload files to a case, download them for whoever may see the case."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.cases import bp
from blueprints.cases.attachments import (
    UPLOADERS,
    AttachmentForm,
    UploadRefused,
    commit_uploads,
    readable_size,
    send_stored,
    store_uploads,
)
from blueprints.cases.views import load_visible
from blueprints.shared import role_required
from models import Attachment, db

bp.add_app_template_filter(readable_size, "file_size")


@bp.route("/<int:petition_id>/attachments", methods=["POST"])
@role_required(*UPLOADERS)
def upload_attachments(petition_id):
    """Add files to a case: office staff, and the handlers and leaders who see the case."""
    item = load_visible(petition_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        try:
            added = store_uploads(item, form.files.data, current_user)
        except UploadRefused as refused:
            form.files.errors = refused.messages
        else:
            if commit_uploads(added):
                flash(ngettext("%(num)d file attached.", "%(num)d files attached.", len(added)), "success")
    if form.files.errors:
        # Files cannot be put back into a form, so the page is shown again with the reasons on top.
        for message in form.files.errors:
            flash(_("%(field)s: %(message)s", field=form.files.label.text, message=message), "danger")
        flash(_("No file was saved; choose the files again."), "danger")
    return redirect(url_for("cases.petition", petition_id=item.id, _anchor="attachments"))


@bp.route("/<int:petition_id>/attachments/<int:attachment_id>")
def download_attachment(petition_id, attachment_id):
    """Send an attachment to whoever may see its case; 404 for anyone else, as if it did not exist."""
    item = load_visible(petition_id)
    attachment = db.session.scalar(
        db.select(Attachment).where(Attachment.id == attachment_id, Attachment.petition_id == item.id))
    if attachment is None:
        abort(404)
    return send_stored(attachment)


@bp.errorhandler(413)
def upload_too_large(error):
    """A body over MAX_CONTENT_LENGTH: say which limit was hit instead of the bare 413 page."""
    db.session.rollback()
    message = _("Attachments: the files sent together are larger than %(total)s, the most one form may carry. "
                "Nothing was saved; send fewer files at a time (each at most %(limit)s).",
                total=readable_size(current_app.config["MAX_CONTENT_LENGTH"]),
                limit=readable_size(current_app.config["ATTACHMENT_MAX_BYTES"]))
    return render_template("errors/error.html", code=413, message=message), 413
