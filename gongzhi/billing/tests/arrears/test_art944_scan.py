"""Civil Code art. 944: arrears never block door access, parking exit, water, power, heat or gas. No code path may
couple them: no module outside billing, the ledger, the dashboard and the notification centre imports billing's
arrears, late fees, collection rate, bill selectors or bill models. The scan reads every module's imports (AST),
so a new access-control, parking or metering module that reaches for a bill fails the build."""

import ast
from pathlib import Path

from django.conf import settings

ALLOWED_APPS = {"billing", "ledger", "dashboard", "notifications"}
FORBIDDEN = ("gongzhi.billing.arrears", "gongzhi.billing.late_fees", "gongzhi.billing.collection",
             "gongzhi.billing.bills", "gongzhi.billing.selectors", "gongzhi.billing.payments",
             "gongzhi.billing.models", "gongzhi.billing.exports")


def forbidden_imports(source: str, module: str) -> list[str]:
    """The forbidden billing modules ``source`` (the module ``module``) imports, however it is written."""
    found = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in {
                "import_module", "import_string", "get_model"}:
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if args[:1] == ["billing"]:
                names = ["gongzhi.billing.models"]
            names += args
        found += [n for n in names if n == "gongzhi.billing" or n.startswith(FORBIDDEN)]
    return sorted(set(found))


def modules_outside_allowed():
    root = Path(settings.BASE_DIR) / "gongzhi"
    for path in sorted(root.rglob("*.py")):
        app = path.relative_to(root).parts[0]
        if app in ALLOWED_APPS:
            continue
        module = ".".join(("gongzhi", *path.relative_to(root).with_suffix("").parts))
        yield module, path.read_text(encoding="utf-8")


def test_no_module_outside_billing_reads_arrears_or_bills():
    offenders = {module: found for module, source in modules_outside_allowed()
                 if (found := forbidden_imports(source, module))}
    assert offenders == {}, ("Civil Code art. 944: arrears may not be coupled to access, parking, water, power, "
                             f"heat or gas; these modules import billing: {offenders}")


def test_the_scan_sees_the_ways_a_module_could_import_them():
    # a made-up gate controller, written every way an import can be
    assert forbidden_imports("from gongzhi.billing.arrears import arrears_by_house", "gongzhi.parking.gates") == [
        "gongzhi.billing.arrears", "gongzhi.billing.arrears.arrears_by_house"]
    assert forbidden_imports("import gongzhi.billing.selectors as s", "gongzhi.access_control.doors") == [
        "gongzhi.billing.selectors"]
    assert forbidden_imports("from gongzhi.billing import arrears", "gongzhi.iot.meters") == [
        "gongzhi.billing", "gongzhi.billing.arrears"]
    assert forbidden_imports("from ...billing.models import Bill", "gongzhi.parking.api.gates") == [
        "gongzhi.billing.models", "gongzhi.billing.models.Bill"]
    assert forbidden_imports("apps.get_model('billing', 'Bill')", "gongzhi.access_control.doors") == [
        "gongzhi.billing.models"]
    assert forbidden_imports("from gongzhi.estate.models import House", "gongzhi.parking.gates") == []
