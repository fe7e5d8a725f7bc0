"""What a file is, judged from its first bytes before any parser sees it."""
from __future__ import annotations

import io
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and encrypted .xlsx
ZIP_MAGIC = b"PK\x03\x04"
# An .xlsx whose parts unzip to more than this many times the upload limit is refused before any
# parser sees it (a "zip bomb", or a sheet formatted down to row 1,048,576).
UNZIPPED_RATIO = 10


def refusal(data: bytes, max_bytes: int) -> str | None:
    """A Chinese sentence saying why the file cannot be read as an .xlsx workbook, else None."""
    if not data:
        return "文件是空的（0 字节），请重新导出后上传。"
    if len(data) > max_bytes:
        return f"文件大小 {len(data) / 1048576:.1f} MB，超过上限 {max_bytes / 1048576:.0f} MB；请删除无关工作表或图片后再上传。"
    if data.startswith(OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in data:
            return "工作簿设置了打开密码（已加密），系统无法读取；请在 Excel/WPS 中取消密码后另存为 .xlsx 再上传。"
        return "这是旧版 Excel 文件（.xls），请在 Excel/WPS 中“另存为”Excel 工作簿（.xlsx）后再上传。"
    if not data.startswith(ZIP_MAGIC):
        head = data[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in head:
            return "这是网页（HTML）文件改了扩展名，并不是 Excel 工作簿；请在 Excel/WPS 中另存为 .xlsx 后上传。"
        return "文件不是 Excel 工作簿（.xlsx）；若是 CSV 或其他格式，请在 Excel/WPS 中打开后另存为 .xlsx 再上传。"
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "文件已损坏或不完整（可能未下载完），请重新保存后上传。"
    names = {e.filename for e in entries}
    if sum(e.file_size for e in entries) > UNZIPPED_RATIO * max_bytes:
        return (f"文件解压后超过 {UNZIPPED_RATIO * max_bytes / 1048576:.0f} MB，内容异常庞大；"
                "请删除无关工作表、图片或大量空白格式后另存再上传。")
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            return "这是 Excel 二进制工作簿（.xlsb），请另存为 Excel 工作簿（.xlsx）后再上传。"
        return None
    if "content.xml" in names:
        return "这是 ODS 表格文件，请在 WPS/LibreOffice 中另存为 Excel 工作簿（.xlsx）后再上传。"
    return "压缩包中没有 Excel 工作簿内容，文件不是 .xlsx；请另存为 Excel 工作簿后上传。"
