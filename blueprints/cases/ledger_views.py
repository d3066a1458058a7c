"""Ledger workbook pages (信访事项台账): import for office staff, export of any list the user may see."""
import tempfile
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SubmitField

from audit import record_event
from blueprints.cases import bp, ledger
from blueprints.cases.access import SEES_PERSONAL_DATA
from blueprints.cases.services import petition_list_query
from blueprints.shared import XLSX, PostForm, commit_or_report, role_required
from models import AuditAction, Role, db

PROBLEMS_SHOWN = 500  # a page of ten thousand lines helps nobody; the count says how many more there are


class ImportForm(FlaskForm):
    workbook = FileField(_l("Ledger workbook (.xlsx)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["xlsx"], _l("Only .xlsx workbooks can be imported: save an .xls or .csv file as .xlsx first."))])
    create_missing = BooleanField(_l("Create the units, leaders and content categories the file names that do not "
                                     "exist yet"))
    submit = SubmitField(_l("Import"))


@bp.route("/import", methods=["GET", "POST"])
@role_required(Role.admin, Role.clerk)
def import_ledger():
    """Import a ledger workbook (office staff): every row is checked first and nothing is written if one is bad;
    only admins may let the import create missing units, leaders and categories."""
    form = ImportForm()
    if current_user.role is not Role.admin:
        del form.create_missing
    problems = []
    if form.validate_on_submit():
        upload = form.workbook.data
        result = ledger.import_ledger(upload.stream, upload.filename, current_user,
                                      create_missing=bool(form.create_missing and form.create_missing.data))
        problems = result.problems
        if not problems and commit_or_report():
            flash(_("Ledger imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
                    created=result.created, updated=result.updated, unchanged=result.unchanged), "success")
            if result.created_names:
                flash(_("Created: %(names)s.", names="、".join(result.created_names)), "info")
            return redirect(url_for("cases.petitions"))
    return render_template("cases/import.html", form=form, problems=problems[:PROBLEMS_SHOWN],
                           more=max(len(problems) - PROBLEMS_SHOWN, 0), columns=ledger.COLUMNS)


@bp.route("/export", methods=["GET", "POST"])
def export_ledger():
    """The list as a ledger workbook, with the list page's filters; every role exports what it may list.
    ID numbers, phones and addresses are masked; office staff get them in full by a POST, which is audited."""
    reveal = request.method == "POST"
    if reveal and current_user.role not in SEES_PERSONAL_DATA:
        abort(403)
    if reveal and not PostForm().validate_on_submit():
        abort(400)
    target = tempfile.TemporaryFile()  # deleted when the response closes it
    try:
        count = ledger.export_ledger(petition_list_query(current_user, request.args), target, reveal)
    except BaseException:
        target.close()
        raise
    if reveal:
        record_event(AuditAction.reveal, "petition", "export", f"{ledger.SHEET} ({count})",
                     {"fields": ["id_number", "phone", "address"], "filters": request.args.to_dict(), "rows": count})
        db.session.commit()
    target.seek(0)
    return send_file(target, mimetype=XLSX, as_attachment=True,
                     download_name=f"{ledger.SHEET}-{date.today().isoformat()}.xlsx")
