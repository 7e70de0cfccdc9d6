"""The document settings Word and LibreOffice read when they open a letter (``word/settings.xml``).

- Current Word mode: ``compatibilityMode`` 15 (Word 2013 and later), so Word does not open the
  letter in compatibility mode and lays it out as it lays out a new document.
- Automatic hyphenation in the letter's language, as the PDF hyphenates: a word is broken only
  where the line would otherwise end more than ``HYPHENATION_ZONE`` short of the margin, and
  at most ``CONSECUTIVE_HYPHENS`` lines in a row end in one.
  Words in capitals (NOU, GREVIO) are not broken; styles that must not break (the address,
  the title, headings, the signature) say so themselves (``w:suppressAutoHyphens``).
- No ``w:updateFields``: Word answers it with a question on every opening ("This document
  contains fields that may refer to other files. Do you want to update the fields?"), a
  question a secretary would learn to click away, and one that a ministry's archive would see
  on every letter. The letter's only fields are the page numbers in its headers and footers,
  which Word and LibreOffice work out whenever they lay the pages out, without being asked.

Settings are elements in an order the schema fixes (ECMA-376 Part 1, 17.15.1.78); Word refuses
a file whose settings are out of order, so each is put in its place here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from lxml import etree

# At most two lines in a row end in a hyphen (the PDF's hyphenation has no such limit, but
# breaks fewer words: HouseStyle.hyphen_word and the letters before and after).
CONSECUTIVE_HYPHENS = 2
# Word's own zone, a quarter of an inch. The PDF's (HouseStyle.hyphen_zone, 8% of the measure:
# 11.6 mm) is not reckoned as Word and LibreOffice reckon theirs: laid out by LibreOffice 7.4,
# the example letters break at the PDF's words with a zone of 6 or 8 mm, and keep a line more
# than the PDF from 10 mm on (closing 14-19 mm lower).
HYPHENATION_ZONE = Mm(6.35)
WORD_2013 = "15"  # compatibilityMode of Word 2013, 2016, 2019, 2021 and Microsoft 365
_WORD_URI = "http://schemas.microsoft.com/office/word"
# The order of w:settings' children (CT_Settings), up to the last one lettersmith writes.
_ORDER = (
    "writeProtection", "view", "zoom", "removePersonalInformation", "removeDateAndTime",
    "doNotDisplayPageBoundaries", "displayBackgroundShape", "printPostScriptOverText",
    "printFractionalCharacterWidth", "printFormsData", "embedTrueTypeFonts", "embedSystemFonts",
    "saveSubsetFonts", "saveFormsData", "mirrorMargins", "alignBordersAndEdges",
    "bordersDoNotSurroundHeader", "bordersDoNotSurroundFooter", "gutterAtTop",
    "hideSpellingErrors", "hideGrammaticalErrors", "activeWritingStyle", "proofState",
    "formsDesign", "attachedTemplate", "linkStyles", "stylePaneFormatFilter",
    "stylePaneSortMethod", "documentType", "mailMerge", "revisionView", "trackRevisions",
    "doNotTrackMoves", "doNotTrackFormatting", "documentProtection", "autoFormatOverride",
    "styleLockTheme", "styleLockQFSet", "defaultTabStop", "autoHyphenation",
    "consecutiveHyphenLimit", "hyphenationZone", "doNotHyphenateCaps", "showEnvelope",
    "summaryLength", "clickAndTypeStyle", "defaultTableStyle", "evenAndOddHeaders",
    "bookFoldRevPrinting", "bookFoldPrinting", "bookFoldPrintingSheets",
    "drawingGridHorizontalSpacing", "drawingGridVerticalSpacing",
    "displayHorizontalDrawingGridEvery", "displayVerticalDrawingGridEvery",
    "doNotUseMarginsForDrawingGridOrigin", "drawingGridHorizontalOrigin",
    "drawingGridVerticalOrigin", "doNotShadeFormData", "noPunctuationKerning",
    "characterSpacingControl", "printTwoOnOne", "strictFirstAndLastChars", "noLineBreaksAfter",
    "noLineBreaksBefore", "savePreviewPicture", "doNotValidateAgainstSchema", "saveInvalidXml",
    "ignoreMixedContent", "alwaysShowPlaceholderText", "doNotDemarcateInvalidXml",
    "saveXmlDataOnly", "useXSLTWhenSaving", "saveThroughXslt", "showXMLTags",
    "alwaysMergeEmptyNamespace", "updateFields", "hdrShapeDefaults", "footnotePr", "endnotePr",
    "compat", "docVars", "rsids", "mathPr", "attachedSchema", "themeFontLang",
    "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
    "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
)  # fmt: skip


def set_setting(settings: etree._Element, name: str, **values: str) -> etree._Element:
    """Put ``<w:name w:key="value" ...>`` in its place in ``settings``, replacing any there."""
    old = settings.find(qn(f"w:{name}"))
    if old is not None:
        settings.remove(old)
    element = OxmlElement(f"w:{name}")
    for key, value in values.items():
        element.set(qn(f"w:{key}"), value)
    rank = _ORDER.index(name)
    for at, child in enumerate(settings):
        if _rank(child) > rank:
            settings.insert(at, element)
            return element
    settings.append(element)
    return element


def remove_setting(settings: etree._Element, name: str) -> None:
    old = settings.find(qn(f"w:{name}"))
    if old is not None:
        settings.remove(old)


def _rank(child: etree._Element) -> int:
    name = str(child.tag).rpartition("}")[2]  # m:mathPr is in the order with the w: ones
    # w14:docId and the other extensions come after every setting of the standard.
    return _ORDER.index(name) if name in _ORDER else len(_ORDER)


def current_word_mode(doc: DocumentObject) -> None:
    """Word 2013+ layout (no compatibility mode), without the editing history python-docx's
    starting document carries (its revision ids and the Mac Word 2011 layout option)."""
    settings = doc.settings.element
    compat = settings.find(qn("w:compat"))
    if compat is None:
        compat = set_setting(settings, "compat")
    for child in list(compat):
        if child.tag != qn("w:compatSetting"):  # Word 2010's and older layout options
            compat.remove(child)
    for setting in compat.findall(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            compat.remove(setting)
    mode = OxmlElement("w:compatSetting")
    for key, value in (("name", "compatibilityMode"), ("uri", _WORD_URI), ("val", WORD_2013)):
        mode.set(qn(f"w:{key}"), value)
    compat.insert(0, mode)
    remove_setting(settings, "rsids")
    remove_setting(settings, "proofState")  # "checked, no mistakes": Word would not check it
    remove_setting(settings, "updateFields")  # see the module's docstring


def hyphenate(doc: DocumentObject) -> None:
    settings = doc.settings.element
    set_setting(settings, "autoHyphenation")
    set_setting(settings, "consecutiveHyphenLimit", val=str(CONSECUTIVE_HYPHENS))
    set_setting(settings, "hyphenationZone", val=str(HYPHENATION_ZONE.twips))
    set_setting(settings, "doNotHyphenateCaps")


def set_language(doc: DocumentObject, tag: str) -> None:
    """The language (``nb-NO``) Word picks theme fonts for, and the decimal sign and list
    separator its field formulas use (the text itself is tagged in the styles' defaults, see
    ``docx_package.set_properties``)."""
    settings = doc.settings.element
    set_setting(settings, "themeFontLang", val=tag)
    decimal, separator = (".", ",") if tag.startswith("en") else (",", ";")
    set_setting(settings, "decimalSymbol", val=decimal)
    set_setting(settings, "listSeparator", val=separator)
