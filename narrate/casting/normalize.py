"""Speech-ready text: what a narrator would say for numbers, money, times, abbreviations, shouting and addresses.

`speakable(text, language)` rewrites only what a speech engine would misread; prose without such things comes
back unchanged. The script keeps the original text: only `Line.text_to_speak` (and so the cache key) sees this.

Why each rule exists: what espeak-ng 1.51 says for the raw text (`espeak-ng -q -x "..."`):

- "Dr. Smith", "Mr. Jones", "St. Paul": the right word, but the period ends a clause, so a pause before the
  name; "Capt.", "Lt.", "Sgt.", "Ms.", "Mt.", "Ft.", "vs.", "i.e." are misread ("kapt", "L T", "V S", "I E").
- "$5" is "dollar five", "£3.50" "pound three point five zero", "10:05" "ten zero five", "1999" "nineteen
  hundred and ninety nine", "1990s" "... ninety s", "Henry VIII" "Henry roman eight".
- Of 63,849 dictionary words written in capitals, espeak reads all but a handful (IT, US, LA, LBS, VI) as in
  lower case; those few it spells, so a shouted "DO IT" says "do I T". Acronyms (FBI, CIA, NASA, USA) read the
  same in either case, so lowering a real word changes nothing else for espeak, and helps other engines.
- Ellipses ("...", "…", ". . .") already pause like a semicolon; an unspaced em dash, "--" or a spaced hyphen
  only briefly, a spaced em dash like a semicolon; an en dash between numbers not at all.
- "https://" is spelled "H T T P S colon slash slash"; "example.com" is already "example dot com".
- Old books: "&c." is "and C" (said "et cetera"); "the 3d of May", "May 23d" are "three D" (said "third",
  "twenty-third"); a blanked name, "the ——shire militia", "Mr. ——", is a pause (said "blank-shire", "Mister
  Blank", as audiobook narrators read it).
- "5 < 6" is "five six" and "a > b" "a b": the sign is skipped (said "less than", "greater than"); "<=" is
  "less or equal" (said "less than or equal to").
- An HTML entity a web export left in a .txt, "5 &lt; 6", is "and L T": read as the character it stands for
  (the script keeps what the file says; Markdown, HTML and EPUB have theirs decoded at ingest already).

Numbers are written out by num2words, also for other languages where it has them. It (20 ms to import, 70 ms
before its bytecode is cached) and the word list behind the capitals rule (english-words, 110-150 ms) are loaded
on first need, so text without digits or capitals never pays for them.
"""
from __future__ import annotations

import html
import html.entities
import re
from decimal import Decimal
from functools import cache, lru_cache

import roman

ENGLISH = "en"


def speakable(text: str, language: str = ENGLISH) -> str:
    """`text` as a speech engine should receive it, for a story in `language` (voices.yaml's `language`).

    English gets every rule; another language only has its plain whole numbers written out, when num2words
    knows that language, and is otherwise returned unchanged.
    """
    text = _no_phoneme_input(decoded_entities(text))
    text = _english(text) if _base_language(language) == ENGLISH else _other_language(text, language)
    return _no_phoneme_input(text)  # again: no rule may bring two brackets together


# A whole entity, semicolon included: "R&D", "AT&T" and "&c." are text, and html.unescape alone would also
# take "&not" out of "&nothing".
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def decoded_entities(text: str) -> str:
    """"5 &lt; 6" → "5 < 6": each whole HTML entity as its character (an unknown name stays as written)."""
    if "&" not in text:
        return text
    return _ENTITY.sub(_entity_character, text)


def _entity_character(match: re.Match) -> str:
    if match[0][1] == "#":
        return html.unescape(match[0])
    return html.entities.html5.get(match[0][1:], match[0])  # "&nothing;" is no "&not;" followed by "hing;"


_BRACKET_BEFORE_BRACKET = re.compile(r"\[(?=\[)")


def _no_phoneme_input(text: str) -> str:
    """espeak reads [[...]] as phonemes, and only pronounce: entries may say so: every '[' that a '[' follows
    gets a space, so that '[[[' cannot leave a '[[' behind as a plain replace of '[[' would."""
    return _BRACKET_BEFORE_BRACKET.sub("[ ", text)


def _english(text: str) -> str:
    if "@" in text or "://" in text or _DOT_THEN_LOWER.search(text):  # the cheap test spares most prose
        text = _ADDRESS.sub(_spoken_address, text)  # first: its dots and digits are not sentences or numbers
    text = _roman_numerals(text)  # before the capitals rule, which would otherwise see "VIII" as a word
    text = _CAPS_RUN.sub(_unshouted_run, text)
    if any(dash in text for dash in _BLANK_HINTS):
        text = _blanks(text)  # before the abbreviations (Capt. —— → Capt. Blank → Captain Blank) and pauses
    text = _abbreviations(text)
    if "<" in text or ">" in text or "≤" in text or "≥" in text:
        text = _COMPARISON.sub(_comparison_words, text)
    if _DIGIT.search(text):
        text = _numbers(text)
    return _pauses(text)


def _other_language(text: str, language: str) -> str:
    if not _DIGIT.search(text):
        return text
    code = _num2words_language(language)
    if code is None:
        return text
    return _PLAIN_INTEGER.sub(lambda m: _number_words(m[0], code), text)


def _base_language(language: str) -> str:
    return re.split(r"[-_]", language, maxsplit=1)[0].lower()


# ---- libraries, loaded on first need ----

@cache
def _num2words():
    import num2words  # every language at once: only text with digits pays for it

    return num2words


@cache
def _lexicon() -> frozenset[str]:
    """Webster's 2nd (236k words): common words in lower case, proper names capitalised, no acronyms."""
    from english_words import (
        get_english_words_set,  # only text with words in capitals pays for the load
    )

    return frozenset(get_english_words_set(["web2"]))


@cache
def _num2words_language(language: str) -> str | None:
    """num2words' code for a voices.yaml language ("pt-br" → "pt_BR", "fr-fr" → "fr"), None if it has none."""
    base, _, region = language.replace("-", "_").partition("_")
    known = _num2words().CONVERTER_CLASSES
    for code in (f"{base.lower()}_{region.upper()}", base.lower()):
        if code in known:
            return code
    return None


@lru_cache(maxsize=4096)  # 35 µs a call; a book says the same numbers and years again and again
def _words(number: int | Decimal, to: str = "cardinal", lang: str = ENGLISH) -> str:
    """num2words without its commas ("one million, two hundred ..."): a comma would make the engine pause."""
    return _num2words().num2words(number, lang=lang, to=to).replace(",", "")


# ---- web and e-mail addresses ----

_ADDRESS = re.compile(
    r"""(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"'“”‘’()\[\]]+"""  # with a scheme or www.
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?<![\w.@/-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/[^\s<>\"'“”‘’()\[\]]*)?(?![\w@-])"  # example.com
)
_DOT_THEN_LOWER = re.compile(r"\.[a-z]")
_ADDRESS_SYMBOL = re.compile(r"[./@\-_:?=&+#]")
_ADDRESS_WORDS = {".": "dot", "/": "slash", "@": "at", "-": "dash", "_": "underscore", ":": "colon",
                  "?": "question mark", "=": "equals", "&": "and", "+": "plus", "#": "hash"}


def _spoken_address(match: re.Match) -> str:
    """"https://www.example.com/a-b." → "www dot example dot com slash a dash b." (the sentence's period stays)."""
    address = match[0].rstrip(".,;:!?")
    tail = match[0][len(address):]
    address = re.sub(r"^[a-z]+://", "", address).rstrip("/")
    spoken = _ADDRESS_SYMBOL.sub(lambda symbol: f" {_ADDRESS_WORDS[symbol[0]]} ", address)
    return " ".join(spoken.split()) + tail


# ---- Roman numerals ----

_ROMAN_LETTERS = re.compile(r"\b[IVXLCDM]+\b")
# "Chapter IV", "CHAPTER IV", "World War II": a number. Capitalised only: "the part I wrote" is no heading.
_NUMBERED_THINGS = ("Chapter", "Book", "Part", "Volume", "Act", "Scene", "Section", "Canto", "War")
_ROMAN_AFTER_KEYWORD = re.compile(
    rf"\b(?P<keyword>{'|'.join(_NUMBERED_THINGS + tuple(word.upper() for word in _NUMBERED_THINGS))})"
    r"\s+(?P<numeral>[IVXLCDM]+)\b"
)
# "Henry VIII", "Elizabeth II's": a regnal ordinal. Lone I and X are left alone ("Then I", "Malcolm X").
_ROMAN_AFTER_NAME = re.compile(r"\b(?P<name>[A-Z][a-z]+)\s+(?P<numeral>[IVX]{2,}|V)\b(?![-\w])")


def _roman_numerals(text: str) -> str:
    if not _ROMAN_LETTERS.search(text):
        return text
    text = _ROMAN_AFTER_KEYWORD.sub(lambda m: _roman_words(m, "keyword", "{} {}", "cardinal"), text)
    return _ROMAN_AFTER_NAME.sub(lambda m: _roman_words(m, "name", "{} the {}", "ordinal"), text)


def _roman_words(match: re.Match, before: str, template: str, to: str) -> str:
    try:
        value = roman.fromRoman(match["numeral"])
    except roman.InvalidRomanNumeralError:  # "MIX", "DIV": letters that only look like a numeral
        return match[0]
    return template.format(match[before], _words(value, to=to))


# ---- words shouted in capitals ----

_CAPS_WORD = re.compile(r"\b[A-Z](?:[A-Z'’]*[A-Z])?\b")
_CAPS_RUN = re.compile(rf"{_CAPS_WORD.pattern}(?:[^\w\n]+{_CAPS_WORD.pattern})*")
_APOSTROPHE = re.compile(r"([^'’]*)(['’]?)(.*)")
SHOUTED_WORD_MIN_LETTERS = 4  # a lone capitalised word shorter than this may be an acronym: US, IT, UN, AI


def _unshouted_run(match: re.Match) -> str:
    """Words in capitals, side by side. Two or more dictionary words make it shouting, and then every dictionary
    word in it is lowered ("DO IT NOW" → "do it now", "CALL THE FBI" → "call the FBI"); otherwise only
    dictionary words of 4 letters or more are ("STOP", but not "the US" or "IT support")."""
    run = match[0]
    words = _CAPS_WORD.findall(run)
    shouting = sum(1 for word in words if len(word) > 1 and _ordinary_spelling(word)) >= 2
    min_letters = 2 if shouting else SHOUTED_WORD_MIN_LETTERS
    return _CAPS_WORD.sub(
        lambda m: (_ordinary_spelling(m[0]) or m[0]) if len(m[0]) >= min_letters else m[0], run
    )


def _ordinary_spelling(word: str) -> str | None:
    """"STOP" → "stop", "JOHN'S" → "John's", "DON'T" → "don't"; None for what is not a dictionary word (FBI)."""
    stem, apostrophe, suffix = _APOSTROPHE.match(word).groups()
    if apostrophe and suffix != "S":  # DON'T, I'M, YOU'RE: contractions of words, never acronyms
        return word.capitalize() if stem == "I" else word.lower()
    if stem.lower() in _lexicon():
        return word.lower()
    if stem.capitalize() in _lexicon():
        return word.capitalize()
    return None


# ---- abbreviations ----

_ALWAYS_TITLES = {"Mr": "Mister", "Mrs": "Missus", "Ms": "Miz"}
_NAME_TITLES = {"Prof": "Professor", "Capt": "Captain", "Lt": "Lieutenant", "Col": "Colonel", "Gen": "General",
                "Maj": "Major", "Sgt": "Sergeant", "Cpl": "Corporal", "Adm": "Admiral", "Gov": "Governor",
                "Sen": "Senator", "Rev": "Reverend", "Fr": "Father", "Mt": "Mount", "Ft": "Fort"}
_PERSON_OR_PLACE = {"Dr": ("Doctor", "Drive"), "St": ("Saint", "Street")}
_AFTER_NAME = {"Jr": "Junior", "Sr": "Senior", "Ave": "Avenue", "Rd": "Road", "Blvd": "Boulevard"}
_LATIN = {"vs": "versus", "etc": "et cetera", "e.g": "for example", "i.e": "that is"}


def _alternatives(table: dict) -> str:
    return "|".join(re.escape(key) for key in sorted(table, key=len, reverse=True))


_ALWAYS_TITLE = re.compile(rf"\b(?P<abbr>{_alternatives(_ALWAYS_TITLES)})\b\.?(?=\s)")
_NAME_TITLE = re.compile(rf"\b(?P<abbr>{_alternatives(_NAME_TITLES)})\.(?=\s+[A-Z])")
_PERSON_OR_PLACE_ABBR = re.compile(rf"\b(?P<abbr>{_alternatives(_PERSON_OR_PLACE)})\b(?P<dot>\.)?")
_AFTER_NAME_ABBR = re.compile(rf"(?P<name>\b[A-Z][\w'’]*,?\s+)(?P<abbr>{_alternatives(_AFTER_NAME)})\.")
_LATIN_ABBR = re.compile(rf"(?<![\w.])(?P<abbr>{_alternatives(_LATIN)})(?:\.|(?<=vs)\b)", re.IGNORECASE)
_ET_CETERA = re.compile(r"(?<![\w&])&[cC]\b\.?")  # the old "&c." (and "&c")
_UNDOTTED_ABBR = re.compile(r"\b(?:Mrs?|Ms|Dr|St|vs)\b|&c")  # recognised without their period
_NUMBER_ABBR = re.compile(r"\bNo\.\s?(?=\d)")
_NAME_FOLLOWS = re.compile(r"\s+[A-Z]")
_WORD_BEFORE = re.compile(r"(?P<word>\S+)[ \t]+$")
_LOOK_BACK_CHARS = 80  # longer than any word, so that a long segment is not searched from its start
# The abbreviation's period also ended the sentence: nothing follows, or a capital does.
_SENTENCE_FOLLOWS = re.compile(r"\s*$|\s+[\"“‘'(\[]*[A-Z]")


def _abbreviations(text: str) -> str:
    if "." not in text and not _UNDOTTED_ABBR.search(text):
        return text
    text = _ALWAYS_TITLE.sub(lambda m: _ALWAYS_TITLES[m["abbr"]], text)
    text = _NAME_TITLE.sub(lambda m: _NAME_TITLES[m["abbr"]], text)
    text = _PERSON_OR_PLACE_ABBR.sub(_person_or_place, text)
    text = _AFTER_NAME_ABBR.sub(lambda m: m["name"] + _AFTER_NAME[m["abbr"]] + _closing_period(m), text)
    text = _LATIN_ABBR.sub(_latin, text)
    text = _ET_CETERA.sub(lambda m: "et cetera" + _closing_period(m), text)
    return _NUMBER_ABBR.sub("number ", text)


def _person_or_place(match: re.Match) -> str:
    """Dr. and St. before a name are Doctor and Saint; after one (Baker St., 42nd St.) Drive and Street."""
    person, place = _PERSON_OR_PLACE[match["abbr"]]
    before = _word_before(match.string, match.start())
    if before in ("number", "name"):
        return place + _closing_period(match)
    if _NAME_FOLLOWS.match(match.string, match.end()):
        return person
    if before == "first word":  # "Main St. is closed."
        return place + _closing_period(match)
    return person if match["dot"] else match[0]


def _word_before(text: str, start: int) -> str:
    """What precedes `start`: "number" (42nd, 221B), "name" (capitalised mid-sentence), "first word"
    (capitalised, starting the sentence) or "other"."""
    found = _WORD_BEFORE.search(text, max(0, start - _LOOK_BACK_CHARS), start)
    if not found:
        return "other"
    word = found["word"].lstrip("\"“‘'(")
    if word[:1].isdigit():
        return "number"
    if not word[:1].isupper():
        return "other"
    preceding = text[:found.start()].rstrip()
    return "name" if preceding and preceding[-1] not in ".!?\"“”" else "first word"


def _latin(match: re.Match) -> str:
    abbr = match["abbr"]
    words = _LATIN[abbr.lower()]
    if abbr[0].isupper():
        words = words[0].upper() + words[1:]
    return words + (_closing_period(match) if abbr.lower() == "etc" else "")


def _closing_period(match: re.Match) -> str:
    """"." when the abbreviation's own period also ended the sentence, so that the engine still stops there."""
    ended_with_period = match[0].endswith(".")
    return "." if ended_with_period and _SENTENCE_FOLLOWS.match(match.string, match.end()) else ""


# ---- numbers ----

_DIGIT = re.compile(r"\d")
_INTEGER = r"\d{1,3}(?:,\d{3})+|\d+"
_AMOUNT = rf"(?:{_INTEGER})(?:\.\d+)?"
# A number standing on its own: not part of a word (MI6, mp3), a version (1.2.3) or a longer number.
_ALONE_BEFORE = r"(?<![\w.,])"
_ALONE_AFTER = r"(?!\w|[.,]\d)"
_MINUS = r"(?:(?<![^\s(])(?P<minus>[-−]))?"  # a minus sign after a space or "(", not a hyphen in "10-12"
_MERIDIEM = r"(?P<meridiem>[aApP])\.?[mM](?P<dot>\.)?(?!\w)"
_MAX_CARDINAL_DIGITS = 15  # longer digit strings are codes or phone numbers: read digit by digit
_YEARS = range(1000, 2100)
_CURRENCIES = {"$": "USD", "£": "GBP", "€": "EUR"}
_SCALES = "thousand|million|billion|trillion"

_NUMBER_RANGE = re.compile(r"(?<=\d)–(?=\d)")
_MONEY = re.compile(
    rf"(?<!\w)(?P<symbol>[$£€])\s?(?P<amount>{_AMOUNT}){_ALONE_AFTER}(?:\s+(?P<scale>{_SCALES})\b)?"
)
_CLOCK = re.compile(
    rf"(?<![\w:.])(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?![\w:]|\.\d)(?:\s?{_MERIDIEM})?"
)
_HOUR = re.compile(rf"(?<![\w:.])(?P<hour>1[0-2]|0?[1-9])\s?{_MERIDIEM}")
_PERCENT = re.compile(rf"{_MINUS}{_ALONE_BEFORE}(?P<amount>{_AMOUNT})\s?%")
_DECADE = re.compile(r"(?<![\w'’.,])['’]?(?P<decade>\d{1,3}0)['’]?s\b")
_ORDINAL = re.compile(rf"{_ALONE_BEFORE}(?P<number>\d+)(?:st|nd|rd|th)\b")
_YEAR = re.compile(r"(?<![\w.,$£€])(?P<year>1\d\d\d|20\d\d)(?![\w%]|[.,:]\d)")
_NUMBER = re.compile(rf"{_MINUS}{_ALONE_BEFORE}(?P<amount>{_AMOUNT}){_ALONE_AFTER}")
# Other languages: only a whole number among words, not one in a time, an amount or a range (10:30, $5, 10-12).
_PLAIN_INTEGER = re.compile(r"(?<![\w.,:/$£€-])\d+(?!\w|[.,:/-]\d|\s?%)")


# Old ordinals, "2d" and "3d" (and 22d, 103d; never 12d or 13d), are read as ordinals only where an ordinal
# goes: after "the", a possessive or a month ("the 3d of May", "his 2d wife", "May 23d"), or before "of" or
# "inst."/"ult." ("23d of June", "the 2d inst."). Anywhere else "3d" stays: "3d printing", "a 2d sketch", and
# the old pence, "£1 2s 3d".
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December"
           "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec")
_OLD_ORDINAL_NUMBER = r"(?P<number>\d*[23])d(?![\w'’-])"
_OLD_ORDINAL = re.compile(
    rf"(?P<before>(?<![\w.])(?:(?i:the|his|her|its|their|our|my|your|this|that)|{_MONTHS})\.?\s+)"
    rf"{_OLD_ORDINAL_NUMBER}"
    rf"|(?<![\w.,]){_OLD_ORDINAL_NUMBER.replace('number', 'number_of')}(?=\s+(?:of|inst|ult|instant|ultimo)\b)"
)


def _old_ordinal(match: re.Match) -> str:
    number = int(match["number"] or match["number_of"])
    if number % 100 in (12, 13):  # twelfth and thirteenth were never written 12d, 13d
        return match[0]
    return (match["before"] or "") + _words(number, to="ordinal")


def _numbers(text: str) -> str:
    text = _NUMBER_RANGE.sub(" to ", text)  # "1999–2005": an en dash between numbers is read as "to"
    if "d" in text:
        text = _OLD_ORDINAL.sub(_old_ordinal, text)
    text = _MONEY.sub(_money_words, text)
    text = _CLOCK.sub(_clock_words, text)
    text = _HOUR.sub(lambda m: _words(int(m["hour"])) + _meridiem(m), text)
    text = _PERCENT.sub(lambda m: _signed_words(m) + " percent", text)
    text = _DECADE.sub(_decade_words, text)
    text = _ORDINAL.sub(lambda m: _words(int(m["number"]), to="ordinal"), text)
    text = _YEAR.sub(lambda m: _words(int(m["year"]), to="year"), text)
    return _NUMBER.sub(_signed_words, text)


def _number_words(digits: str, lang: str = ENGLISH) -> str:
    """"1,234.5" → "one thousand two hundred and thirty-four point five"; "007" → "zero zero seven"."""
    plain = digits.replace(",", "")
    if plain.isdigit() and (len(plain) > 1 and plain[0] == "0" or len(plain) > _MAX_CARDINAL_DIGITS):
        return " ".join(_words(int(digit), lang=lang) for digit in plain)
    return _words(Decimal(plain) if "." in plain else int(plain), lang=lang)


def _signed_words(match: re.Match) -> str:
    return ("minus " if match["minus"] else "") + _number_words(match["amount"])


@cache
def _currency_names(code: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """num2words' names: (("dollar", "dollars"), ("cent", "cents")). A narrator says "pounds", not "pounds
    sterling"."""
    units, subunits = _num2words().CONVERTER_CLASSES[ENGLISH].CURRENCY_FORMS[code]
    return tuple(name.replace(" sterling", "") for name in units), subunits


def _money_words(match: re.Match) -> str:
    """"$5" → "five dollars", "£3.50" → "three pounds and fifty pence", "$0.99" → "ninety-nine cents",
    "$2.5 million" → "two point five million dollars"."""
    units, subunits = _currency_names(_CURRENCIES[match["symbol"]])
    amount = match["amount"].replace(",", "")
    if match["scale"]:
        return f"{_number_words(amount)} {match['scale']} {units[1]}"
    whole, _, cents = amount.partition(".")
    if len(cents) != 2:  # "$5", or "$2.5": an amount, not dollars and cents
        return f"{_number_words(amount)} {units[Decimal(amount) != 1]}"
    parts = []
    if int(whole) or not int(cents):
        parts.append(f"{_number_words(whole)} {units[int(whole) != 1]}")
    if int(cents):
        parts.append(f"{_number_words(cents.lstrip('0'))} {subunits[int(cents) != 1]}")
    return " and ".join(parts)


def _clock_words(match: re.Match) -> str:
    """"10:30" → "ten thirty", "10:05" → "ten oh five", "10:00" → "ten o'clock", "9:00 pm" → "nine PM"."""
    words = _words(int(match["hour"]))
    minute = match["minute"]
    if minute == "00":
        words += "" if match["meridiem"] else " o'clock"
    elif minute[0] == "0":
        words += " oh " + _words(int(minute))
    else:
        words += " " + _words(int(minute))
    return words + _meridiem(match)


def _meridiem(match: re.Match) -> str:
    """" AM" / " PM", which espeak reads as letters ("a.m." would end a sentence; "am" is a verb)."""
    if not match["meridiem"]:
        return ""
    return f" {match['meridiem'].upper()}M" + _closing_period(match)


def _decade_words(match: re.Match) -> str:
    """"1990s" → "nineteen nineties", "'60s" → "sixties"."""
    decade = int(match["decade"])
    words = _words(decade, to="year" if decade in _YEARS else "cardinal")
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


# ---- blanked names ----

_BLANK_DASHES = r"(?:[—―]{2,}|-{4,})"  # two em dashes or four hyphens: "——shire", "----shire", "Mr. ——"
_BLANK_HINTS = ("——", "――", "----")
_BLANK_PREFIX = re.compile(rf"(?<![\w—―-]){_BLANK_DASHES}(?=[^\W\d_])")
_BLANK_TITLES = ("Mr|Mrs|Miss|Ms|Dr|Lady|Lord|Sir|Madam|Madame|Capt|Captain|Col|Colonel|Gen|General|Major|Count"
                 "|Countess|Baron|Duke|Duchess|Rev|Reverend|St|Saint|Admiral|Squire|Mount")
_BLANK_NAME = re.compile(rf"\b(?P<title>{_BLANK_TITLES})(?P<dot>\.?)[ \t]+{_BLANK_DASHES}(?![\w—―-])")


def _blanks(text: str) -> str:
    """A name the author left blank, read "blank" as narrators do: "the ——shire militia" → "the blank-shire
    militia", "Mr. ——" → "Mr. Blank" (Mister Blank). A dash run anywhere else is a pause (_pauses)."""
    text = _BLANK_PREFIX.sub("blank-", text)
    return _BLANK_NAME.sub(lambda m: f"{m['title']}{m['dot']} Blank", text)


# ---- comparison signs ----

# Between two numbers or words, spaced ("5 < 6", "x >= y") or not between digits ("5<6"); anything else
# ("<3", "->", "<b>") is left alone.
_COMPARISON_SIGNS = {"<": "less than", ">": "greater than", "<=": "less than or equal to",
                     ">=": "greater than or equal to", "≤": "less than or equal to", "≥": "greater than or equal to"}
_COMPARISON = re.compile(r"(?<=[\w)%])[ \t]+(?P<spaced>[<>]=?|[≤≥])[ \t]+(?=[-−]?[\w($£€])"
                         r"|(?<=\d)(?P<tight>[<>]=?|[≤≥])(?=[-−]?\d)")


def _comparison_words(match: re.Match) -> str:
    return f" {_COMPARISON_SIGNS[match['spaced'] or match['tight']]} "


# ---- pauses ----

_ELLIPSIS = re.compile(r"\.(?:[ \t]?\.){2,}")
# An em dash, "--", or a spaced hyphen or en dash between words: spaced em dash, the pause espeak makes longest.
_DASH_HINTS = ("—", "―", "--", " -", " –")  # a cheap test first: most sentences have none
_DASH = re.compile(r"(?<=\S)[ \t]*(?:—|―|-{2,3})[ \t]*(?=[^\W_])|(?<=\S)[ \t]+[-–][ \t]+(?=[^\W_])")


def _pauses(text: str) -> str:
    if "." in text:
        text = _ELLIPSIS.sub("…", text)
    if any(dash in text for dash in _DASH_HINTS):
        text = _DASH.sub(" — ", text)
    return text
