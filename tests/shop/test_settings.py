"""One settings loader: every setting declared once, its default in config/defaults.env and
the README, and no product code reading the environment behind its back."""

from __future__ import annotations

import ast
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from shop import settings
from shop.secrets import SECRETS
from shop.settings_docs import README_BEGIN, README_END, defaults_env, readme_table

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("shop", "actions", "console", "web", "channels", "ops", "catalog_index", "nlu_components")
#: Modules allowed to touch os.environ, and why.
ENV_ACCESS_ALLOWED = {
    "shop/settings.py": "the one reader of settings",
    "shop/secrets.py": "the reader of the secrets (no defaults, never in settings)",
}
#: Modules that *write* the environment (never read a setting from it), and why.
ENV_WRITES_ALLOWED = {
    "text_encoder/minilm.py": "forces Hugging Face offline before the encoder loads",
}


def _env_file(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _product_files() -> list[Path]:
    packages = [*PRODUCT_PACKAGES, "text_encoder"]
    return sorted(p for pkg in packages if (ROOT / pkg).is_dir() for p in (ROOT / pkg).rglob("*.py"))


def test_defaults_env_is_generated_from_the_declarations() -> None:
    assert (ROOT / "config" / "defaults.env").read_text(
        encoding="utf-8"
    ) == defaults_env(), "config/defaults.env is stale: run .venv/bin/python -m shop.settings_docs write"


def test_every_setting_is_in_defaults_env_with_its_default() -> None:
    values = _env_file((ROOT / "config" / "defaults.env").read_text(encoding="utf-8"))
    declared = settings.declared()
    assert set(values) == {s.env for s in declared}
    for s in declared:
        assert s.parse(values[s.env]) == s.default, s.env
    assert settings.load(values) == settings.ShopSettings()


def test_defaults_env_holds_no_secret() -> None:
    values = _env_file((ROOT / "config" / "defaults.env").read_text(encoding="utf-8"))
    assert set(values) & set(SECRETS) == set()


def test_defaults_are_plain_words_the_makefile_and_shells_read_alike() -> None:
    """The Makefile includes defaults.env as `export NAME ?= value`; the harness splits on '='."""
    for s in settings.declared():
        assert re.fullmatch(r"[A-Za-z0-9_.:/,@+-]*", s.default_text), s.env


def test_make_sees_the_declared_defaults(tmp_path: Path) -> None:
    names = ["SHOP_LOOKUP_MAX_FAILURES", "SHOP_LOYALTY_TIERS", "SHOP_DB_URL", "CONSOLE_NLU_EXPORT"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for name in names:
        done = subprocess.run(
            ["make", "-s", f"print-{name}"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        expected = next(s.default_text for s in settings.declared() if s.env == name)
        lines = done.stdout.splitlines()
        assert (lines[-1] if lines else "") == expected, name


def test_readme_table_is_generated_and_lists_every_setting_and_secret() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    begin, end = readme.index(README_BEGIN), readme.index(README_END) + len(README_END)
    assert (
        readme[begin:end] + "\n" == readme_table()
    ), "README configuration table is stale: run .venv/bin/python -m shop.settings_docs write"
    listed = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme[begin:end], flags=re.M))
    assert listed == {s.env for s in settings.declared()} | set(SECRETS)


def test_blank_means_the_default_and_values_are_typed() -> None:
    st = settings.load(
        {
            "SHOP_LOOKUP_MAX_FAILURES": " 7 ",
            "SHOP_LOOKUP_EXEMPT_SOURCES": "10.0.0.1, ,rest:health",
            "SHOP_FREE_SHIPPING_THRESHOLD": "off",
            "SHOP_TAX_RATE": "0.08",
            "CONSOLE_COOKIE_SECURE": "yes",
            "SHOP_RETURN_WINDOW_DAYS": "",
        }
    )
    assert st.lookup_max_failures == 7
    assert st.lookup_exempt_sources == ("10.0.0.1", "rest:health")
    assert st.free_shipping_threshold is None and st.tax_rate == Decimal("0.08")
    assert st.console_cookie_secure is True
    assert st.return_window_days == settings.ShopSettings.return_window_days


@pytest.mark.parametrize(
    ("name", "value"),
    [("SHOP_LOOKUP_MAX_FAILURES", "three"), ("SHOP_LOOKUP_LOCK_MINUTES", "-1"), ("SHOP_DEMO_MODE", "maybe")],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        settings.load({name: value})


def test_an_undeclared_variable_is_refused() -> None:
    with pytest.raises(KeyError):
        settings.raw("SHOP_NOT_A_SETTING")


def _env_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module touches os.environ / os.getenv / os.putenv (however imported)."""
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr in ("environ", "getenv", "putenv", "environb", "getenvb"):
                uses.append((node.lineno, f"os.{node.attr}"))
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ("environ", "getenv", "environb", "getenvb"):
                    uses.append((node.lineno, f"from os import {alias.name}"))
    return uses


def _writes_only(source: str, line: int) -> bool:
    text = source.splitlines()[line - 1]
    return bool(re.search(r"os\.environ(\[[^\]]+\]\s*=[^=]|\.setdefault\()", text))


def test_no_product_module_reads_the_environment_outside_settings() -> None:
    offenders = []
    for path in _product_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel in ENV_ACCESS_ALLOWED:
            continue
        source = path.read_text(encoding="utf-8")
        for line, what in _env_uses(ast.parse(source)):
            if rel in ENV_WRITES_ALLOWED and _writes_only(source, line):
                continue
            offenders.append(f"{rel}:{line}: {what}")
    assert offenders == [], "read settings through shop.settings (declare new ones there):\n" + "\n".join(
        offenders
    )


def test_every_variable_named_to_the_loader_is_declared() -> None:
    """``settings.value("X")`` / ``settings.raw("X")`` with a literal X: X is declared (no typos)."""
    declared = {s.env for s in settings.declared()}
    unknown = []
    for path in _product_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("value", "raw")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("settings", "shop_settings")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value not in declared
            ):
                unknown.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.args[0].value}")
    assert unknown == []


def test_secrets_are_not_settings() -> None:
    assert {s.env for s in settings.declared()} & set(SECRETS) == set()
