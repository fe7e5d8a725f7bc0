"""Problems found in a workbook: every one with its place and a Chinese sentence."""
from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING = "error", "warning"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "提醒"}


@dataclass(frozen=True)
class Issue:
    severity: str  # ERROR blocks the upload; WARNING never does
    code: str  # stable identifier of the kind of problem
    sheet: str | None  # sheet name as written; None for the whole file
    row: int | None  # Excel row number as Excel shows it
    column: str | None  # column header as written
    message: str  # Chinese: what is wrong and what to do

    def as_json(self) -> dict:
        data = asdict(self)
        del data["severity"]
        return data


class IssueList(list):
    """Issues in the order found, with shorthands for adding one."""

    def error(self, code, message, sheet=None, row=None, column=None):
        self.append(Issue(ERROR, code, sheet, row, column, message))

    def warning(self, code, message, sheet=None, row=None, column=None):
        self.append(Issue(WARNING, code, sheet, row, column, message))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self if i.severity == WARNING]
