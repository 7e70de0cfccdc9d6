"""Whatever a workspace file holds, loading it succeeds or raises WorkspaceError, nothing else."""

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lettersmith.errors import WorkspaceError
from lettersmith.load import workspace
from workspaces import minimal

FILES = (
    "lettersmith.yaml",
    "recipients.yaml",
    "positions/sak.md",
    "letters/brev.yaml",
    "clubs/bergen.yaml",
)
CLUB = "name: Klubben\nletters:\n  brev: {to: [a], append: Lokalt.}\n"
# Field names from every file, so that generated mappings reach the checks behind them.
KEYS = (
    "organisation", "name", "about", "address", "email", "logo", "language", "place",
    "signatories", "leder", "signature", "mail", "from", "smtp", "host", "port", "security",
    "rate", "a", "title", "tags", "position", "to", "mode", "date", "signatory", "subject",
    "attachments", "recipients", "letters", "brev", "append", "body", "adopted_on",
)  # fmt: skip
SCALARS = st.one_of(
    st.sampled_from(["nb", "none", "localhost", "2024-02-30", "0030", "tag:a", "../x", "/etc"]),
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.none(),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    ),
    max_leaves=20,
)
CONTENTS = st.one_of(
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    DOCUMENTS.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True).encode("utf-8")),
    DOCUMENTS.map(lambda doc: ("---\n" + yaml.safe_dump(doc) + "---\nTekst.\n").encode()),
)


def load_with(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = minimal(Path(folder), {"clubs/bergen.yaml": CLUB})
        (root / name).write_bytes(content)
        try:
            ws = workspace.load(root)
        except WorkspaceError as err:
            assert err.problems, "a WorkspaceError always names at least one problem"
            assert all(problem.message for problem in err.problems)
        else:
            assert ws.root == root.resolve()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), content=CONTENTS)
def test_any_file_content_loads_or_is_reported(name, content):
    load_with(name, content)


def test_the_workspace_fuzzed_is_valid_as_written(tmp_path):
    ws = workspace.load(minimal(tmp_path, {"clubs/bergen.yaml": CLUB}))
    assert ws.clubs["bergen"].letters["brev"] == {"to": ("a",), "append": "Lokalt."}


# Text that YAML reads in ways worth comparing: duplicate keys, keys that are lists or maps or
# hold a control character, nesting, several documents, flow style, comments, block scalars.
PIECES = st.sampled_from([
    "a: 1\n", "a: 2\n", "b:\n  - x\n  - y\n", "c: {d: 1, d: 2}\n", "? [k]\n: v\n",
    "? {k: 1}\n: v\n", '"e\\x07": 1\n', "f: |\n  line\n  line\n", "- item\n", "g: [1, [2, 3]]\n",
    "# a comment\n", "---\n", "h: \n", "i: 'quoted: yes'\n", "j:\n  k:\n    l: deep\n", "a:\n",
    "  - nested\n", "m: x\n  bad indent\n", "n: &x 1\n", "o: *x\n", "...\n", "\t\n",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=8).map("".join) | DOCUMENTS.map(yaml.safe_dump))
def test_the_fast_reading_gives_what_the_python_loader_gives(text):
    from lettersmith.load import yamlfile

    fast: list = []
    try:
        got = yamlfile._fast_nodes(text, "f.yaml", fast, 0)
    except yamlfile._NotPlain:
        return  # read by the Python loader itself
    slow: list = []
    root = yaml.compose(text, Loader=yamlfile._StrictLoader)
    expected = None if root is None else yamlfile._convert(root, "f.yaml", slow, 0)
    assert got == expected
    assert fast == slow


# Tabs where YAML allows only spaces, and where it allows them: after a colon, after a value,
# in a flow list, inside quotes, in indentation.
TABBED = st.sampled_from([
    "a:\tb\n", "a: \tb\n", "a:\t\n  - x\n", "b: x\t\n", "c\t: d\n", "e: [f,\tg]\n",
    "h: 'x\ty'\n", "i:\t# note\n", "j:\t|\n  line\n", "\tk: l\n", "- m:\tn\n", "o: p\tq\n",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES | TABBED, max_size=8).map("".join))
def test_the_fast_and_the_careful_reading_agree_on_tabs(text):
    from unittest import mock

    from lettersmith.load import yamlfile

    fast: list = []
    got = yamlfile.parse_yaml(text, "f.yaml", fast)
    careful: list = []
    with mock.patch.object(yaml, "CBaseLoader", None):  # no libyaml: the Python loader alone
        expected = yamlfile.parse_yaml(text, "f.yaml", careful)
    assert (got, fast) == (expected, careful)


def test_a_tab_after_a_colon_is_named_with_its_fix():
    from lettersmith.load import yamlfile

    problems: list = []
    assert yamlfile.parse_yaml("a: 1\ntitle:\tStatsminister\n", "r.yaml", problems) is None
    assert [str(p) for p in problems] == [
        "r.yaml:2: a tab after 'title:'; YAML needs a space there: replace the tab with a space"
    ]
