"""Role checks have one home: survey/access.py (plus the user predicates of the User model).

Every module of survey/ and aggregation/ (and every template) is scanned for code that reads
a role itself: a user predicate (`user.sees_whole_country`, `user.is_portal_admin`, …), a
comparison with `.role` or a `Role` member, or a query filtered on `role=Role.…`. A new role
then touches `Role`, the predicates and survey/access.py only; views say what they need with
survey/views/decorators.py and templates read `can` (survey.access.abilities).
"""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from survey.models import Role, User

ROOT = Path(__file__).resolve().parents[2]
HOME = {Path("survey/access.py"), Path("survey/models/accounts.py")}
ROLE_MEMBERS = set(Role.names)
QUERY_METHODS = {"filter", "exclude", "get", "get_or_create", "update_or_create"}


def role_predicates() -> set[str]:
    """The properties of User that read the role (directly or through another predicate)."""
    bodies = {name: inspect.getsource(value.fget).split("def ", 1)[1].split("\n", 1)[1]
              for name, value in vars(User).items() if isinstance(value, property)}
    found: set[str] = set()
    while True:
        more = {name for name, body in bodies.items()
                if re.search(rf"\b(?:{'|'.join(['role', *found])})\b", body)}
        if more == found:
            return found
        found = more


PREDICATES = role_predicates()


def _is_role_member(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr in ROLE_MEMBERS
            and isinstance(node.value, ast.Name) and node.value.id == "Role")


def _reads_role(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "role") or _is_role_member(node)


def role_checks(source: str, filename: str = "<source>") -> list[str]:
    """`file:line: what` for every role check spelled in `source`."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and node.attr in PREDICATES:
            if not (isinstance(node.value, ast.Name) and node.value.id == "access"):
                found.append(f"{filename}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Compare) and any(_reads_role(n) for n in [node.left, *node.comparators]):
            found.append(f"{filename}:{node.lineno}: compares a role")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in QUERY_METHODS
              and any(_is_role_member(n) for kw in node.keywords for n in ast.walk(kw.value))):
            found.append(f"{filename}:{node.lineno}: queries by role")
    return found


def _modules():
    for package in ("survey", "aggregation", "config"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel not in HOME and "migrations" not in rel.parts:
                yield rel, path.read_text(encoding="utf-8")


TEMPLATE_CHECK = re.compile(rf"\.(?:{'|'.join(sorted(PREDICATES | {'role'}))})\b(?!_)")


def test_the_user_predicates_are_known():
    assert {"is_officer", "is_ministry", "is_portal_admin", "is_prefecture_officer", "sees_whole_country"} <= PREDICATES


def test_no_module_outside_access_reads_a_role():
    found = [hit for rel, source in _modules() for hit in role_checks(source, str(rel))]
    assert found == [], "role checks outside survey/access.py:\n" + "\n".join(found)


def test_no_template_reads_a_role():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for tag in re.findall(r"{%.*?%}|{{.*?}}", line):
                if TEMPLATE_CHECK.search(tag):
                    found.append(f"{path.relative_to(ROOT)}:{lineno}: {tag}")
    assert found == [], "templates reading a role (use `can`, survey.access.abilities):\n" + "\n".join(found)


def test_the_scanner_finds_each_way_of_spelling_a_role_check():
    source = (
        "if request.user.is_portal_admin:\n    pass\n"
        "if user.role == Role.MINISTRY:\n    pass\n"
        "if user.role in (Role.MINISTRY, Role.ADMIN):\n    pass\n"
        "User.objects.filter(role=Role.OFFICER)\n"
        "User.objects.filter(role=form.cleaned_data['role'])\n"
        "access.sees_whole_country(user)\n"
        "User.objects.create_user(email='a@example.jp', role=Role.OFFICER)\n"
    )
    assert [hit.split(": ", 1)[1] for hit in role_checks(source)] == [
        ".is_portal_admin", "compares a role", "compares a role", "queries by role",
    ]
    assert TEMPLATE_CHECK.search("{% if user.sees_whole_country %}")
    assert not TEMPLATE_CHECK.search("{% if can.take_snapshots %}")
