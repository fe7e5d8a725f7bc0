"""What a file is, judged from its first bytes and its zip directory before any parser sees it.

Nothing here decompresses anything: the gate reads magic bytes and the zip central directory
only, so it takes microseconds even for a zip bomb. The directory's sizes are the file's own
claims; a file whose claims lie passes the gate and is stopped by the limits of the parse worker
(core/isolation.py) instead. Every refusal has a stable code and a Chinese sentence saying what
to do.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and encrypted .xlsx (an OLE container)
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# Streams of an encrypted OOXML package, as named (UTF-16) in the OLE directory.
ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
# BIFF2–BIFF4 worksheets (pre-1997 .xls) are bare record streams, not OLE containers.
BIFF_STARTS = (b"\x09\x00", b"\x09\x02", b"\x09\x04")
# A part this small cannot exhaust anything however well it compresses (a 100,000-character
# cell compresses 554:1 in 300 KB), so the compression ratio is judged above it only.
RATIO_FLOOR_BYTES = 1 << 20
SUPPORTED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
TEXT_SNIFF_BYTES = 4096

RESAVE = "请在 Excel 或 WPS 中打开后“另存为”Excel 工作簿（.xlsx）再上传。"


@dataclass(frozen=True)
class Limits:
    """What the gate admits (core/campaign.toml [limits])."""
    max_bytes: int
    max_unpacked_bytes: int
    max_entries: int
    max_ratio: int

    @classmethod
    def of(cls, campaign) -> "Limits":
        mb = 1024 * 1024
        return cls(campaign.max_upload_mb * mb, campaign.max_unpacked_mb * mb, campaign.max_zip_entries,
                   campaign.max_compression_ratio)


@dataclass(frozen=True)
class Refusal:
    code: str  # stable identifier (core/issues.py ISSUE_KINDS)
    message: str  # Chinese: what the file is and what to do


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f}".rstrip("0").rstrip(".")


def _ole(data: bytes) -> Refusal:
    if any(name in data for name in ENCRYPTED_STREAMS):
        return Refusal("encrypted", "工作簿设置了打开密码（已加密），系统无法读取；请在 Excel 或 WPS 中取消打开密码"
                                    "（文件→信息→保护工作簿→用密码进行加密，清空密码）后另存为 .xlsx 再上传。")
    return Refusal("legacy_xls", "这是旧版 Excel 文件（.xls）或其他 Office 旧格式文件，系统只读取 .xlsx；" + RESAVE)


def _looks_like_text(head: bytes) -> bool:
    """True where the first bytes read as text (UTF-8, UTF-16 with BOM or GBK) rather than binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 0x20 and byte not in b"\t\r\n\f")
    if controls > len(head) // 50:  # binary, though it happens to decode (GB18030 decodes almost anything)
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if encoding == "utf-8" and exc.start >= len(head) - 3:  # a character cut at the sniff boundary
                return True
    return False


def _not_zip(data: bytes) -> Refusal:
    head = data[:TEXT_SNIFF_BYTES]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body", b"<meta")) or b"<html" in text[:512]:
        return Refusal("html_renamed", "这是网页（HTML）文件改了扩展名（常见于从网站或系统“导出 Excel”得到的文件），"
                                       "并不是 Excel 工作簿；" + RESAVE)
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return Refusal("xml_spreadsheet", "这是 Excel 2003 XML 表格文件，并不是 .xlsx 工作簿；" + RESAVE)
    if data.startswith(BIFF_STARTS):
        return Refusal("legacy_xls", "这是早期版本 Excel 文件（.xls），系统只读取 .xlsx；" + RESAVE)
    if _looks_like_text(head):
        return Refusal("text_renamed", "这是 CSV 或文本文件，并不是 Excel 工作簿（可能只是改了扩展名）；"
                                       "请在 Excel 或 WPS 中打开，按模板整理后“另存为”Excel 工作簿（.xlsx）再上传。")
    return Refusal("not_xlsx", "文件不是 Excel 工作簿（.xlsx），无法识别其格式；" + RESAVE)


def _entries(data: bytes) -> list[zipfile.ZipInfo] | Refusal:
    """The zip directory, or why it cannot be read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return Refusal("corrupt_zip", "文件已损坏或不完整（可能未下载完或传输中断）；请重新保存或重新下载后再上传，"
                                      "仍不行时请用 Excel 或 WPS 打开后另存为 .xlsx。")


def _directory_refusal(entries: list[zipfile.ZipInfo], limits: Limits) -> Refusal | None:
    """Refusals that follow from the sizes and flags the zip directory states."""
    if len(entries) > limits.max_entries:
        return Refusal("too_many_entries", f"文件内部含有 {len(entries)} 个部件，超过上限 {limits.max_entries} 个，"
                                           "不像正常的填报工作簿；请删除多余的工作表、图片和附件后另存为 .xlsx 再上传。")
    if any(e.flag_bits & 0x1 for e in entries):
        return Refusal("encrypted", "文件内容已加密，系统无法读取；请取消密码后另存为 .xlsx 再上传。")
    if any(e.compress_type not in SUPPORTED_METHODS for e in entries):
        return Refusal("corrupt_zip", "文件使用了不支持的压缩方式，可能不是由 Excel 或 WPS 保存的；"
                                      "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。")
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
            return Refusal("zip_bomb", f"文件中的“{entry.filename}”解压后 {_mb(entry.file_size)} MB，"
                                       f"压缩比 {ratio:.0f}:1，远超正常工作表（一般不超过 {limits.max_ratio}:1），"
                                       "内容异常（疑似“压缩炸弹”），系统不予读取；请上传按模板填写的正常工作簿。")
    total = sum(e.file_size for e in entries)
    if total > limits.max_unpacked_bytes:
        return Refusal("too_large_unpacked", f"文件解压后共 {_mb(total)} MB，超过上限 {_mb(limits.max_unpacked_bytes)} MB；"
                                             "请删除无关的工作表、图片或大片空白格式，或把数据拆分到多个工作簿后再上传。")
    return None


def _package_refusal(names: set[str]) -> Refusal | None:
    """Refusals that follow from which parts the package holds (what kind of document it is)."""
    if "xl/workbook.bin" in names:
        return Refusal("xlsb", "这是 Excel 二进制工作簿（.xlsb），系统只读取 .xlsx；" + RESAVE)
    if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
        return None  # an OOXML package (the parser locates its workbook part)
    if "content.xml" in names or "mimetype" in names:
        return Refusal("ods", "这是 ODS 表格文件（WPS/LibreOffice 格式），系统只读取 .xlsx；"
                              "请在 WPS 或 LibreOffice 中“另存为”Excel 工作簿（.xlsx）再上传。")
    return Refusal("not_workbook", "文件是一个压缩包，但里面没有 Excel 工作簿的内容，并不是 .xlsx 文件；" + RESAVE)


def check(data: bytes, limits: Limits) -> Refusal | None:
    """Why the file cannot be read as an .xlsx workbook, else None (then a parser may look at it)."""
    if not data:
        return Refusal("empty_file", "文件是空的（0 字节），请重新保存或重新导出后再上传。")
    if len(data) > limits.max_bytes:
        return Refusal("file_too_large", f"文件大小 {_mb(len(data))} MB，超过上限 {_mb(limits.max_bytes)} MB；"
                                         "请删除无关的工作表或图片，或把数据拆分到多个工作簿后再上传。")
    if data.startswith(OLE_MAGIC):
        return _ole(data)
    if not data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return _not_zip(data)
    entries = _entries(data)
    if isinstance(entries, Refusal):
        return entries
    return _directory_refusal(entries, limits) or _package_refusal({e.filename for e in entries})
