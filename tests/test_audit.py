"""Every create, change and state transition is recorded with who, when, what and old → new."""
from models import AuditAction, AuditLog, Role, Unit, UnitKind, db


def entries(app, object_type, object_id=None):
    query = db.select(AuditLog).where(AuditLog.object_type == object_type).order_by(AuditLog.id)
    if object_id is not None:
        query = query.where(AuditLog.object_id == str(object_id))
    with app.app_context():
        return db.session.scalars(query).all()


def test_create_and_change_are_recorded_with_actor_and_old_and_new_values(app, client, login):
    admin = login(Role.admin)
    client.post("/admin/units/new", data={"name": "西河乡", "kind": "township", "active": "y"})
    with app.app_context():
        unit_id = db.session.scalar(db.select(Unit.id).where(Unit.name == "西河乡"))
    client.post(f"/admin/units/{unit_id}/edit", data={"name": "西河镇", "kind": "township", "active": "y",
                                                     "version": "1"})
    created, changed = entries(app, "unit", unit_id)
    assert (created.action, created.actor_id, created.object_id) == (AuditAction.create, admin.id, str(unit_id))
    assert created.changes["name"] == [None, "西河乡"]
    assert changed.action == AuditAction.update and changed.actor_name == admin.username
    assert changed.changes == {"name": ["西河乡", "西河镇"]}


def test_passwords_are_recorded_as_changed_without_their_hash(app, client, login, make_user):
    login(Role.admin)
    user = make_user(Role.clerk)
    client.post(f"/admin/users/{user.id}/edit", data={"username": user.username, "display_name": "新名字",
                                                      "role": "clerk", "active": "y", "password": "new-password-1",
                                                      "version": "1"})
    change = entries(app, "user_account", user.id)[-1]
    assert change.changes["password_hash"] == ["******", "******"]
    assert change.changes["display_name"][1] == "新名字"
    assert "scrypt" not in str(change.changes)


def test_cli_work_is_recorded_as_the_shell_user(app):
    with app.app_context():
        db.session.add(Unit(name="县委", kind=UnitKind.county))
        db.session.commit()
    assert entries(app, "unit")[0].actor_name.startswith("cli:")


def test_admin_browses_and_filters_the_log(app, client, login):
    admin = login(Role.admin)
    client.post("/admin/lists/methods/new", data={"name": "视频接访", "active": "y"})
    client.post("/admin/units/new", data={"name": "南山镇", "kind": "township", "active": "y"})
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "视频接访" in everything and "南山镇" in everything
    units_only = client.get("/admin/audit?object_type=unit").get_data(as_text=True)
    assert "南山镇" in units_only and "视频接访" not in units_only
    by_actor = client.get(f"/admin/audit?actor={admin.username}&action=create").get_data(as_text=True)
    assert "南山镇" in by_actor
    nobody = client.get("/admin/audit?actor=nobody-at-all").get_data(as_text=True)
    assert "南山镇" not in nobody
    bad_date = client.get("/admin/audit?date_from=not-a-date")
    assert bad_date.status_code == 200 and "南山镇" in bad_date.get_data(as_text=True)
