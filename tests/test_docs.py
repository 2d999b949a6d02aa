"""The docs stay true to the product: every `salesbook …` command shown in README.md and
docs/*.md is a real CLI command with real options (parsed by click itself), every image and
relative link resolves, and every ribbon button is explained in the user guide."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from lxml import etree

from salesbook.cli import main
from salesbook.engine import parse_only

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
RIBBON = ROOT / "salesbook" / "builder" / "macros" / "customUI14.xml"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)^ {0,3}\1[ \t]*$", re.S | re.M)
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img\s[^>]*src=\"([^\"]+)\"")
LINK = re.compile(r"(?<!!)\[[^\]]+\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
SEPARATORS = re.compile(r"&&|\|\||;|\|")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _without_code(text: str) -> str:
    return FENCE.sub("", text)


def _block_commands(text: str) -> list[str]:
    """`salesbook …` commands on the lines of fenced code blocks (chains split on && ; |)."""
    found = []
    for match in FENCE.finditer(text):
        for line in match.group(2).splitlines():
            for part in SEPARATORS.split(line):
                part = part.strip()
                if part.startswith("$ "):
                    part = part[2:].lstrip()
                if part.startswith("salesbook "):
                    found.append(part)
    return found


def _is_prose(span: str) -> bool:
    """A quoted message ("salesbook could not produce …, so …."), not a command."""
    return ", " in span or ": " in span or span.endswith(".")


def _inline_commands(text: str) -> list[str]:
    spans = (m.group(1).strip() for m in INLINE.finditer(_without_code(text)))
    return [s for s in spans if s.startswith("salesbook ") and not _is_prose(s)]


def _cases(kind: str) -> list[tuple[str, str]]:
    pick = _block_commands if kind == "block" else _inline_commands
    return [(_rel(page), cmd) for page in PAGES for cmd in pick(_text(page))]


def _command(tokens: list[str]) -> click.Command:
    assert tokens[0] == "salesbook"
    assert len(tokens) > 1, "a bare `salesbook`"
    name = tokens[1]
    assert name in main.commands, f"'{name}' is not a salesbook command (have: {', '.join(sorted(main.commands))})"
    cmd = main.commands[name]
    if isinstance(cmd, click.Group) and len(tokens) > 2 and tokens[2] in cmd.commands:  # salesbook excel new …
        return cmd.commands[tokens[2]]
    return cmd


def _args(tokens: list[str]) -> list[str]:
    """The tokens after the command's name (after the group's and the subcommand's for a group)."""
    return tokens[3:] if isinstance(main.commands.get(tokens[1]), click.Group) and len(tokens) > 2 else tokens[2:]


def _option_names(cmd: click.Command) -> set[str]:
    names = {"--help", "-h"}
    for p in cmd.params:
        if isinstance(p, click.Option):
            names.update(p.opts)
            names.update(p.secondary_opts)
    return names


def test_the_docs_show_commands():
    assert _cases("block"), "no `salesbook …` command found in any code block"
    assert any(page.parent == DOCS for page in PAGES), "docs/*.md are missing"


@pytest.mark.parametrize("page,command", _cases("block"))
def test_code_block_commands_parse(page, command, monkeypatch):
    """click parses the whole command line: the command, its options and their values."""
    monkeypatch.chdir(ROOT)  # paths in the docs' commands are relative to the repository
    tokens = shlex.split(command, comments=True)
    if tokens[1:] and tokens[1] in ("--version", "--help", "-h"):
        return
    cmd = _command(tokens)
    args = _args(tokens)
    if "--help" in args or "-h" in args:
        unknown = [a.split("=")[0] for a in args if a.startswith("-") and a.split("=")[0] not in _option_names(cmd)]
        assert not unknown, f"{page}: `{command}`: unknown option(s) {unknown}"
        return
    try:
        ctx = cmd.make_context(f"salesbook {tokens[1]}", args)
    except click.ClickException as exc:
        pytest.fail(f"{page}: `{command}` does not parse: {exc.format_message()}")
    only = ctx.params.get("only")
    if only:
        try:
            parse_only(only)
        except ValueError as exc:
            pytest.fail(f"{page}: `{command}`: --only {only}: {exc}")


@pytest.mark.parametrize("page,command", _cases("inline"))
def test_inline_commands_name_real_commands_and_options(page, command):
    """Inline mentions may use placeholders (BOOK, N), so only names are checked."""
    tokens = command.replace("…", " ").split()
    cmd = _command(tokens)
    options = _option_names(cmd)
    unknown = [t.split("=")[0] for t in _args(tokens)
               if t.startswith("-") and not re.fullmatch(r"-\d.*", t) and t.split("=")[0] not in options]
    assert not unknown, f"{page}: `{command}`: {tokens[1]} has no option(s) {unknown}"


def _images(page: Path) -> list[str]:
    return [a or b for a, b in IMAGE.findall(_without_code(_text(page)))]


def test_every_image_referenced_exists():
    seen = 0
    for page in PAGES:
        for ref in _images(page):
            if re.match(r"[a-z]+:", ref):
                continue
            seen += 1
            target = (page.parent / ref.split("#")[0]).resolve()
            assert target.is_file(), f"{_rel(page)}: image {ref} does not exist"
    assert seen, "the docs show no images"


def test_every_picture_in_docs_img_is_used():
    used = {(page.parent / ref).resolve() for page in PAGES for ref in _images(page)}
    unused = [p.name for p in sorted((DOCS / "img").glob("*.png")) if p.resolve() not in used]
    assert not unused, f"docs/img has pictures no page shows: {unused}"


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors, counts = set(), {}
    for heading in HEADING.findall(_without_code(_text(page))):
        slug = _slug(heading)
        n = counts.get(slug, 0)
        counts[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def test_relative_links_and_anchors_resolve():
    for page in PAGES:
        for ref in LINK.findall(_without_code(_text(page))):
            if re.match(r"[a-z]+:", ref):
                continue
            path, _, anchor = ref.partition("#")
            target = (page.parent / path).resolve() if path else page
            assert target.exists(), f"{_rel(page)}: link {ref} points at nothing"
            if anchor and target.suffix == ".md":
                assert anchor in _anchors(target), f"{_rel(page)}: link {ref}: no heading with that anchor"


def _buttons() -> list[tuple[str, str]]:
    root = etree.parse(str(RIBBON)).getroot()
    return [(b.get("id"), b.get("label")) for b in root.iter(f"{{{CUSTOMUI_NS}}}button")]


def test_every_ribbon_button_is_in_the_user_guide():
    guide = _text(DOCS / "user-guide.md")
    buttons = _buttons()
    assert len(buttons) >= 9
    for button_id, label in buttons:
        assert f"`{button_id}`" in guide, f"the user guide does not name button id `{button_id}`"
        assert label in guide, f"the user guide does not name button '{label}'"


def test_the_readme_links_the_docs():
    readme = _text(ROOT / "README.md")
    for name in ("user-guide.md", "admin-guide.md", "acceptance.md"):
        assert f"docs/{name}" in readme, f"README.md does not link docs/{name}"


def test_the_user_guide_lists_every_column_name():
    """Every header a column is found under (English, Chinese, aliases) is in the user guide's table."""
    from salesbook.rules.schema import COLUMNS

    guide = _text(DOCS / "user-guide.md")
    table = guide[guide.index("**Other names for the columns.**"):]
    for c in COLUMNS:
        row = next((line for line in table.splitlines() if line.startswith(f"| {c.en} | {c.zh} |")), None)
        assert row is not None, c.en
        for alias in c.aliases:
            assert f"`{alias}`" in row, (c.en, alias)
