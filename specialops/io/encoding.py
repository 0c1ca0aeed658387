"""Character encodings of imported text files: detection, strict decoding, line splitting.

Order of detection (SPEC §9, ENGINEERING-NOTES "Chinese text"): a byte-order mark,
then strict UTF-8 on a sample, then a detector limited to GB18030 and Big5 whose
answer must pass a plausibility check; when the bytes cannot tell (a very short
GBK or Big5 file) the reader stops and asks for ``--encoding`` instead of
guessing. Decoding is always strict: a byte that does not decode is an error
naming its line, never a replacement character.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from specialops.errors import UsageError, ValidationError

SAMPLE_SIZE = 256 * 1024
CHUNK_SIZE = 64 * 1024
MAX_LINE_CHARS = 64 * 1024 * 1024

# Fewer double-byte characters than this and GBK cannot be told from Big5.
MIN_CJK_CHARS = 4
# The winner's share of common characters, and its lead over the other reading.
MIN_PLAUSIBLE = 0.8
MIN_LEAD = 0.15

AMBIGUOUS_MESSAGE = (
    "cannot tell the file's encoding (GBK or Big5?); give it with --encoding gbk|big5|utf-8"
)

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian mark starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)

# Names people give → (name reported, codec used). GBK and GB2312 are read as
# GB18030, their superset; Big5 as cp950, the Big5 that Windows and Excel write.
_ALIASES: dict[str, tuple[str, str]] = {
    "gbk": ("gb18030", "gb18030"),
    "gb2312": ("gb18030", "gb18030"),
    "cp936": ("gb18030", "gb18030"),
    "ms936": ("gb18030", "gb18030"),
    "euc_cn": ("gb18030", "gb18030"),
    "gb18030": ("gb18030", "gb18030"),
    "big5": ("big5", "cp950"),
    "cp950": ("big5", "cp950"),
    "ms950": ("big5", "cp950"),
    "utf_8": ("utf-8", "utf-8"),
    "utf_8_sig": ("utf-8-sig", "utf-8"),
}


@dataclass(frozen=True)
class Encoding:
    """How a file is decoded: ``name`` is reported to the person, ``codec`` decodes."""

    name: str
    codec: str
    bom: bytes = b""


def resolve_name(name: str) -> Encoding:
    """The encoding named by ``--encoding``; UsageError if Python knows no such text codec."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise UsageError(
            f"unknown encoding '{name}'; use auto, utf-8, gbk, gb18030, big5 or utf-16"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"'{name}' is not a text encoding")
    key = info.name.replace("-", "_")
    if key in _ALIASES:
        label, codec = _ALIASES[key]
        return Encoding(label, codec)
    return Encoding(info.name, info.name)


def bom_encoding(sample: bytes) -> Encoding | None:
    """The encoding a byte-order mark at the start of ``sample`` announces, if any."""
    for bom, name, codec in _BOMS:
        if sample.startswith(bom):
            return Encoding(name, codec, bom)
    return None


def choose(sample: bytes, at_eof: bool, requested: str = "auto") -> Encoding:
    """The encoding to read a file whose first bytes are ``sample`` with.

    ``requested`` is ``auto`` or an encoding name (``--encoding``). A byte-order
    mark wins over detection; a mark that contradicts the requested encoding is
    a ValidationError rather than silent mojibake.
    """
    marked = bom_encoding(sample)
    if requested.strip().lower() != "auto":
        given = resolve_name(requested.strip())
        if marked is None:
            if given.codec in ("utf-16", "utf-32"):
                # Without a mark, read the byte order Windows writes.
                return Encoding(f"{given.codec}-le", f"{given.codec}-le")
            return given
        if given.codec.startswith(marked.codec[:6].rstrip("-")):
            return marked  # the mark is definite about the byte order
        raise ValidationError(
            f"the file starts with a {marked.name} byte-order mark but --encoding "
            f"{requested} was given; leave --encoding at auto"
        )
    if marked is not None:
        return marked
    if _is_utf8(sample, at_eof):
        return Encoding("utf-8", "utf-8")
    return _detect_cjk(sample, at_eof)


def choose_json_lines(sample: bytes, at_eof: bool, requested: str = "auto") -> Encoding:
    """The encoding of a JSON Lines file, which is UTF-8 unless the bytes plainly say otherwise.

    As :func:`choose`, except that a sample most of whose non-ASCII lines are
    UTF-8, or that is not GBK or Big5 text either, is read as UTF-8: each line
    is decoded on its own (:func:`decoded_byte_lines`), so a line with bytes
    that are not UTF-8 is refused by itself instead of the whole file.
    """
    if requested.strip().lower() != "auto" or bom_encoding(sample) is not None:
        return choose(sample, at_eof, requested)
    utf8 = Encoding("utf-8", "utf-8")
    if _is_utf8(sample, at_eof) or _mostly_utf8_lines(sample, at_eof):
        return utf8
    try:
        return _detect_cjk(sample, at_eof)
    except NotCjkText:
        return utf8


def _mostly_utf8_lines(sample: bytes, at_eof: bool) -> bool:
    lines = sample.split(b"\n")
    if not at_eof:
        lines.pop()  # may be cut inside a character
    good = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
        else:
            good += 1
    return good > 0 and good >= bad


# Codecs in which the byte 0x0A is only ever a newline: lines can be cut as bytes.
LINE_SAFE_CODECS = frozenset({"utf-8", "gb18030", "cp950"})


def _is_utf8(sample: bytes, at_eof: bool) -> bool:
    # An incremental decoder keeps a character cut at the end of the sample for
    # later instead of calling it invalid.
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=at_eof)
    except UnicodeDecodeError:
        return False
    return True


def _complete_lines(sample: bytes, at_eof: bool) -> bytes:
    """``sample`` cut after its last newline, so no double-byte character is split.

    In GBK, GB18030 and Big5 the byte 0x0A is never part of a character.
    """
    if at_eof:
        return sample
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def _strict(sample: bytes, codec: str) -> str | None:
    try:
        return sample.decode(codec)
    except UnicodeDecodeError:
        return None


def _is_common(char: str, codec: str) -> bool:
    """Whether ``char`` is everyday text in that script (the rest reads as mojibake)."""
    if codec == "gb18030":
        # GB2312: the 6,763 common Simplified characters and the usual punctuation.
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            return False
        return True
    try:
        encoded = char.encode("cp950")
    except UnicodeEncodeError:
        return False
    # Big5 symbols (0xA140-0xA3FE) and level-1 common characters (0xA440-0xC67E).
    return len(encoded) == 2 and 0xA140 <= int.from_bytes(encoded, "big") <= 0xC67E


def plausibility(text: str, codec: str) -> tuple[float, int]:
    """Share of non-ASCII characters of ``text`` common in ``codec``'s script; their count."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 1.0, 0
    common = sum(1 for c in wide if _is_common(c, codec))
    return common / len(wide), len(wide)


def _detect_cjk(sample: bytes, at_eof: bool) -> Encoding:
    """GB18030 or Big5, whichever the text reads as; refused when it is neither, or when
    it reads better as Korean or Japanese."""
    body = _complete_lines(sample, at_eof)
    if looks_like_euc_tw(body):
        raise ValidationError(EUC_TW_MESSAGE)
    found = _detect_chinese(body)
    _refuse_foreign(body, found.name)
    return found


EUC_TW_MESSAGE = (
    "the file looks like EUC-TW (CNS 11643), which is not supported; save it as UTF-8 "
    "or Big5, or give --encoding"
)

# EUC-TW text, read as GB18030, decodes without an error into GB2312 characters: it is
# told by where its characters fall. A four-byte 8E A1-B0 xx xx is a CNS plane; a pair of
# bytes A1-FE is a plane-1 character, or any GB2312 one.
_EUC_TOKENS = re.compile(rb"\x8e[\xa1-\xb0][\xa1-\xfe]{2}|[\xa1-\xfe][\xa1-\xfe]|[\x80-\xff]")
_EUC_SCAN = 64 * 1024
MIN_EUC_HANZI = 8


def looks_like_euc_tw(body: bytes) -> bool:
    """Whether ``body`` (not UTF-8) is EUC-TW rather than GB2312/GBK, Big5 or EUC-JP.

    CNS plane 1 puts every hanzi at lead bytes C4-FD, so read as GB2312 nearly all of
    them fall there and many on its rare level 2 (D8-F7) and unassigned rows (F8-FE);
    real GB2312 text is mostly level 1, a third of it below C4. A byte outside the
    EUC pattern (a GBK or Big5 trail byte) rules EUC-TW out.
    """
    if len(body) > _EUC_SCAN:
        body = body[: body.rfind(b"\n", 0, _EUC_SCAN) + 1] or body[:_EUC_SCAN]
    planes = hanzi = high = rare = 0
    for token in _EUC_TOKENS.finditer(body):
        text = token.group()
        if len(text) == 4:
            planes += 1
        elif len(text) == 1:
            return False
        elif text[0] >= 0xB0:
            hanzi += 1
            high += text[0] >= 0xC4
            rare += text[0] >= 0xD8
    if hanzi < MIN_EUC_HANZI or high < 0.95 * hanzi:
        return False
    return planes > 0 or rare >= 0.3 * hanzi


def _detect_chinese(body: bytes) -> Encoding:
    from charset_normalizer import from_bytes

    readings = {codec: _strict(body, codec) for codec in ("gb18030", "cp950")}
    decodable = {codec: text for codec, text in readings.items() if text is not None}
    if not decodable:
        raise NotCjkText(
            "the file is not UTF-8, UTF-16, GBK/GB18030 or Big5 text; "
            "give its encoding with --encoding NAME"
        )
    labels = {"gb18030": "gb18030", "cp950": "big5"}
    if len(decodable) == 1:
        codec, text = next(iter(decodable.items()))
        if _private_use_share(text) > 0.2:
            raise ValidationError(AMBIGUOUS_MESSAGE)
        return Encoding(labels[codec], codec)
    scores = {codec: plausibility(text, codec) for codec, text in decodable.items()}
    count = max(n for _, n in scores.values())
    if count < MIN_CJK_CHARS:
        raise ValidationError(AMBIGUOUS_MESSAGE)
    ranked = sorted(scores, key=lambda codec: scores[codec][0], reverse=True)
    best, other = ranked
    if scores[best][0] >= MIN_PLAUSIBLE and scores[best][0] - scores[other][0] >= MIN_LEAD:
        return Encoding(labels[best], best)
    # Close call on our measure: accept the detector's answer only when it also
    # ruled the other reading out entirely.
    matches = from_bytes(body, cp_isolation=["gb18030", "big5"])
    names = {match.encoding for match in matches}
    if len(names) == 1:
        only = "cp950" if names == {"big5"} else "gb18030"
        if scores[only][0] >= MIN_PLAUSIBLE:
            return Encoding(labels[only], only)
    raise ValidationError(AMBIGUOUS_MESSAGE)


# Korean and Japanese double-byte encodings share GBK's and Big5's byte ranges: EUC-KR
# Hangul reads as common GB2312 hanzi. Only the language of the text tells them apart,
# which charset-normalizer measures (its "chaos": how much a reading looks like noise).
_FOREIGN = {
    "cp949": "Korean (EUC-KR/cp949)",
    "shift_jis": "Japanese (Shift_JIS)",
    "euc_jp": "Japanese (EUC-JP)",
}


def _refuse_foreign(body: bytes, chosen: str) -> None:
    """Refuse a file that reads better as Korean or Japanese than in ``chosen``."""
    from charset_normalizer import from_bytes

    readings = {m.encoding: m.chaos for m in from_bytes(body, cp_isolation=[chosen, *_FOREIGN])}
    mine = readings.get(chosen)
    better = [
        _FOREIGN[name]
        for name, chaos in readings.items()
        if name in _FOREIGN and (mine is None or chaos < mine)
    ]
    if better:
        raise ValidationError(
            f"the file reads as {' or '.join(dict.fromkeys(better))} text rather than "
            f"Chinese; specialops detects UTF-8, UTF-16, GBK/GB18030 and Big5: convert "
            "the file to UTF-8, or give its encoding with --encoding NAME (e.g. cp949, "
            "shift_jis, euc_jp)"
        )


def _private_use_share(text: str) -> float:
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 0.0
    return sum(1 for c in wide if 0xE000 <= ord(c) <= 0xF8FF) / len(wide)


def check_requested(sample: bytes, at_eof: bool, encoding: Encoding) -> None:
    """Refuse a requested GBK/Big5 reading that is plainly the other one (Big5 read as GBK).

    Both decode each other's bytes without error, so a wrong ``--encoding``
    would otherwise import mojibake.
    """
    pair = {"gb18030": "cp950", "cp950": "gb18030"}
    if encoding.codec not in pair:
        return
    body = _complete_lines(sample, at_eof)
    mine, theirs = _strict(body, encoding.codec), _strict(body, pair[encoding.codec])
    if mine is None or theirs is None:
        return
    my_share, count = plausibility(mine, encoding.codec)
    their_share, _ = plausibility(theirs, pair[encoding.codec])
    if count >= 20 and my_share < 0.6 and their_share >= 0.95:
        other = "big5" if encoding.codec == "gb18030" else "gbk"
        raise ValidationError(
            f"the file reads as garbled text in {encoding.name} but cleanly as {other}; "
            f"check --encoding (try --encoding {other} or auto)"
        )


class NotCjkText(ValidationError):
    """Bytes that are neither UTF-8 nor GBK/GB18030 nor Big5."""


class DecodeFailure(ValidationError):
    """Bytes that do not decode; ``line`` is the physical line, ``offset`` the byte offset.

    ``reason`` says what is wrong without naming the line (for a row's problem).
    """

    def __init__(self, encoding: Encoding, line: int, offset: int, bad: bytes) -> None:
        shown = " ".join(f"{b:02x}" for b in bad[:8])
        self.reason = (
            f"bytes {shown} (at byte {offset} of the file) are not valid {encoding.name}; "
            "give the file's encoding with --encoding"
        )
        super().__init__(
            f"line {line} (byte {offset}): bytes {shown} are not valid {encoding.name}; "
            "give the file's encoding with --encoding"
        )
        self.line = line
        self.offset = offset


def decoded_chunks(stream: BinaryIO, head: bytes, encoding: Encoding) -> Iterator[str]:
    """The text of ``head`` + the rest of ``stream``, decoded strictly, chunk by chunk.

    ``head`` is the sample already read (its byte-order mark is skipped). The
    text before a byte that does not decode comes out first; the next request
    raises :class:`DecodeFailure` naming the line and byte offset.
    """
    decoder = codecs.getincrementaldecoder(encoding.codec)("strict")
    fed = len(encoding.bom)
    newlines = 0
    chunk = head[len(encoding.bom) :]
    while True:
        final = not chunk
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            good = _good_prefix(exc, encoding.codec)
            if good:
                yield good
            offset = fed - (len(exc.object) - len(chunk)) + exc.start
            line = newlines + good.count("\n") + 1
            raise DecodeFailure(encoding, line, offset, exc.object[exc.start : exc.end]) from None
        except UnicodeError as exc:  # e.g. a UTF-16 stream without its byte-order mark
            raise ValidationError(f"the file cannot be read as {encoding.name}: {exc}") from None
        fed += len(chunk)
        if text:
            newlines += text.count("\n")
            yield text
        if final:
            return
        chunk = stream.read(CHUNK_SIZE)


def decoded_lines(
    stream: BinaryIO,
    head: bytes,
    encoding: Encoding,
    *,
    newline: str | None = "",
) -> Iterator[str]:
    """The text lines of ``head`` + the rest of ``stream`` (see :func:`decoded_chunks`).

    ``newline=""`` splits on ``\\r``, ``\\n`` and ``\\r\\n`` and keeps the ends (what
    the csv module expects); ``newline="\\n"`` splits on ``\\n`` only. A line longer
    than ``MAX_LINE_CHARS`` is a ValidationError (the file is not line-oriented text).
    """
    pending: list[str] = []  # pieces of a line not yet ended
    pending_chars = 0
    lines = 0
    for text in decoded_chunks(stream, head, encoding):
        if "\n" not in text and (newline != "" or "\r" not in text):
            pending.append(text)  # no line ends here: avoid re-joining a long line
            pending_chars += len(text)
        else:
            parts = _split("".join(pending) + text, newline)
            last = parts[-1]
            # A final "\r" may be the first half of "\r\n": keep it until more comes.
            if last.endswith("\n"):
                pending, pending_chars = [], 0
            else:
                parts.pop()
                pending, pending_chars = [last], len(last)
            lines += len(parts)
            yield from parts
        if pending_chars > MAX_LINE_CHARS:
            raise ValidationError(
                f"line {lines + 1} is longer than {MAX_LINE_CHARS // (1024 * 1024)} MB "
                "of text; is this a text file?"
            )
    if pending:
        yield from _split("".join(pending), newline)


def decoded_byte_lines(
    stream: BinaryIO, head: bytes, encoding: Encoding
) -> Iterator[str | DecodeFailure]:
    """The lines of ``head`` + the rest of ``stream``, cut at ``\\n`` and decoded one by one.

    For codecs of :data:`LINE_SAFE_CODECS` only. A line that does not decode
    comes out as its :class:`DecodeFailure` (yielded, not raised), and the lines
    after it are read on. A line longer than ``MAX_LINE_CHARS`` bytes is a
    ValidationError, as in :func:`decoded_lines`.
    """
    pieces: list[bytes] = []  # a line not yet ended
    size = 0
    line = 0
    offset = len(encoding.bom)  # of the line being read
    chunk = head[len(encoding.bom) :]
    codec = encoding.codec
    while chunk:
        start = 0
        end = chunk.find(b"\n")
        while end >= 0:
            pieces.append(chunk[start : end + 1])
            raw = b"".join(pieces) if len(pieces) > 1 else pieces[0]
            pieces, size = [], 0
            line += 1
            yield _decode_line(raw, encoding, codec, line, offset)
            offset += len(raw)
            start = end + 1
            end = chunk.find(b"\n", start)
        if start < len(chunk):
            pieces.append(chunk[start:])
            size += len(chunk) - start
            if size > MAX_LINE_CHARS:
                raise ValidationError(
                    f"line {line + 1} is longer than {MAX_LINE_CHARS // (1024 * 1024)} MB; "
                    "is this a text file?"
                )
        chunk = stream.read(CHUNK_SIZE)
    if pieces:
        yield _decode_line(b"".join(pieces), encoding, codec, line + 1, offset)


def _decode_line(
    raw: bytes, encoding: Encoding, codec: str, line: int, offset: int
) -> str | DecodeFailure:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        return DecodeFailure(encoding, line, offset + exc.start, raw[exc.start : exc.end])


def _split(text: str, newline: str | None) -> list[str]:
    return io.StringIO(text, newline=newline).readlines()


def _good_prefix(exc: UnicodeDecodeError, codec: str) -> str:
    try:
        return exc.object[: exc.start].decode(codec)
    except UnicodeDecodeError:
        return ""


def read_sample(stream: BinaryIO, size: int = SAMPLE_SIZE) -> tuple[bytes, bool]:
    """Up to ``size`` bytes from the start of ``stream`` and whether that was all of it."""
    parts: list[bytes] = []
    total = 0
    while total < size:
        part = stream.read(size - total)
        if not part:
            return b"".join(parts), True
        parts.append(part)
        total += len(part)
    return b"".join(parts), False
