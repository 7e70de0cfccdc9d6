"""Markdown into blocks: what every renderer shows."""

from lettersmith.compose.markdown import parse, plain_text
from lettersmith.model import Heading, ListBlock, Paragraph, Span


def test_paragraphs_emphasis_and_links():
    [block] = parse("Det må *handles* **nå**, se [lovdata](https://lovdata.no).")
    assert block == Paragraph(
        (
            Span("Det må "),
            Span("handles", italic=True),
            Span(" "),
            Span("nå", bold=True),
            Span(", se "),
            Span("lovdata", href="https://lovdata.no"),
            Span("."),
        )
    )


def test_html_and_special_characters_stay_as_typed():
    [block] = parse("A & B <script>alert(1)</script> > C")
    assert block.spans == (Span("A & B <script>alert(1)</script> > C"),)


def test_lists_nest_and_keep_their_numbering():
    blocks = parse("3. tre\n4. fire\n   - under\n")
    [numbered] = blocks
    assert isinstance(numbered, ListBlock) and numbered.ordered and numbered.start == 3
    assert isinstance(numbered.items[1][1], ListBlock)
    assert plain_text(blocks) == "3. tre\n4. fire\n   - under"


def test_headings_keep_their_level_and_soft_breaks_become_spaces():
    blocks = parse("## Tiltak\n\nen\nto  \ntre")
    assert blocks[0] == Heading(2, (Span("Tiltak"),))
    assert blocks[1].spans == (Span("en to"), Span("\n"), Span("tre"))


def test_images_and_unsafe_links_are_never_fetched_or_followed():
    [block] = parse("![logo](https://evil.example/x.png) [klikk](javascript:alert(1))")
    assert all(span.href is None for span in block.spans)
    assert "logo" in "".join(span.text for span in block.spans)


def test_empty_text_gives_no_blocks():
    assert parse(None) == ()
    assert parse("  \n") == ()
