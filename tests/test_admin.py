"""Admins manage users, units (a tree), leaders and the editable lists; stale edits are refused."""
from models import Category, Leader, ReceptionMethod, Role, Unit, UnitKind, User, db


def test_admin_creates_a_user_who_can_then_log_in(app, client, login, make_unit):
    login(Role.admin)
    unit = make_unit("城关镇")
    response = client.post("/admin/users/new", data={
        "username": "wang", "display_name": "王芳", "role": "handler", "unit_id": str(unit.id),
        "active": "y", "password": "a-good-password"})
    assert response.status_code == 302
    assert "王芳" in client.get("/admin/users").get_data(as_text=True)
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"username": "wang", "password": "a-good-password"}).status_code == 302


def test_rejected_user_form_keeps_what_was_typed(client, login, make_user):
    login(Role.admin)
    existing = make_user(username="taken")
    page = client.post("/admin/users/new", data={
        "username": existing.username, "display_name": "李四的全名", "role": "clerk", "password": "long-enough-1",
    }).get_data(as_text=True)
    assert "该用户名已被使用" in page
    assert 'value="李四的全名"' in page


def test_new_user_needs_a_password_and_a_valid_role(client, login):
    login(Role.admin)
    page = client.post("/admin/users/new", data={"username": "x1", "display_name": "X", "role": "king"}
                       ).get_data(as_text=True)
    assert page.count('class="errors"') >= 1
    page = client.post("/admin/users/new", data={"username": "x1", "display_name": "X", "role": "clerk"}
                       ).get_data(as_text=True)
    assert "新建账号必须设置密码" in page


def test_stale_edit_is_refused_and_keeps_the_input(app, client, login, make_user):
    login(Role.admin)
    user = make_user(Role.clerk)
    form = {"username": user.username, "role": "clerk", "active": "y", "version": "1"}
    first = client.post(f"/admin/users/{user.id}/edit", data={**form, "display_name": "第一次修改"})
    assert first.status_code == 302
    second = client.post(f"/admin/users/{user.id}/edit", data={**form, "display_name": "第二次修改"})
    page = second.get_data(as_text=True)
    assert second.status_code == 200 and "其他人修改了这条记录" in page and 'value="第二次修改"' in page
    with app.app_context():
        assert db.session.get(User, user.id).display_name == "第一次修改"


def test_unit_tree_and_no_cycles(app, client, login):
    login(Role.admin)
    client.post("/admin/units/new", data={"name": "示范县", "kind": "county", "sort_order": "0", "active": "y"})
    with app.app_context():
        county = db.session.scalar(db.select(Unit).where(Unit.name == "示范县"))
    client.post("/admin/units/new", data={"name": "东坪镇", "kind": "township", "parent_id": str(county.id),
                                          "active": "y"})
    with app.app_context():
        town = db.session.scalar(db.select(Unit).where(Unit.name == "东坪镇"))
        assert town.parent_id == county.id
    page = client.get("/admin/units").get_data(as_text=True)
    assert page.index("示范县") < page.index("东坪镇") and "depth-1" in page
    cycle = client.post(f"/admin/units/{county.id}/edit", data={
        "name": "示范县", "kind": "county", "parent_id": str(town.id), "active": "y", "version": "1"})
    assert cycle.status_code == 200 and "不是有效的选择" in cycle.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Unit, county.id).parent_id is None


def test_leader_record_linked_to_a_leader_account(app, client, login, make_unit, make_user):
    login(Role.admin)
    county = make_unit("县委", kind=UnitKind.county)
    account = make_user(Role.leader, username="zhang")
    response = client.post("/admin/leaders/new", data={
        "name": "张建国", "title": "副县长", "portfolio": "信访、住建", "post": "county_leader",
        "unit_id": str(county.id), "user_id": str(account.id), "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        leader = db.session.scalar(db.select(Leader).where(Leader.name == "张建国"))
        assert leader.user_id == account.id and leader.unit_id == county.id
    assert "张建国" in client.get("/admin/leaders").get_data(as_text=True)
    client.post("/auth/logout")
    client.post("/auth/login", data={"username": "zhang", "password": "correct-horse-9"})
    assert "张建国 · 副县长" in client.get("/auth/home").get_data(as_text=True)


def test_leader_needs_a_unit(client, login):
    login(Role.admin)
    page = client.post("/admin/leaders/new", data={"name": "某", "title": "副县长", "post": "county_leader",
                                                   "unit_id": ""}).get_data(as_text=True)
    assert "必填" in page and 'value="某"' in page


def test_editable_lists(app, client, login):
    login(Role.admin)
    client.post("/admin/lists/categories/new", data={"name": "城乡建设", "active": "y"})
    with app.app_context():
        top = db.session.scalar(db.select(Category).where(Category.name == "城乡建设"))
    client.post("/admin/lists/categories/new", data={"name": "房屋拆迁与补偿", "parent_id": str(top.id),
                                                     "active": "y"})
    client.post("/admin/lists/methods/new", data={"name": "视频接访", "active": "y"})
    page = client.get("/admin/lists").get_data(as_text=True)
    assert "房屋拆迁与补偿" in page and "视频接访" in page
    duplicate = client.post("/admin/lists/methods/new", data={"name": "视频接访", "active": "y"})
    assert "列表中已有此名称" in duplicate.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ReceptionMethod.id))) == 1
        child = db.session.scalar(db.select(Category).where(Category.name == "房屋拆迁与补偿"))
        assert child.parent_id == top.id
    assert client.get("/admin/lists/planets/new").status_code == 404
