"""Session-state and widget keys, declared once."""
APP_RAN = "app_ran"  # set by app.py on every run
CURSOR = "db_cursor"
AS_OF = "as_of"
TOWN = "town"
UPLOAD_FILES = "upload_files"
UPLOAD_TOWN = "upload_town"
UPLOAD_DATE = "upload_date"
UPLOAD_PREFLIGHT = "upload_preflight"
UPLOAD_RESULT = "upload_result"
LEDGER_TOWN = "ledger_town"
LEDGER_SEARCH = "ledger_search"
LEDGER_TABLE = "ledger_table"
HISTORY_TOWN = "history_town"
# Submissions (报送情况)
SUBMISSIONS_DATE = "submissions_date"
# Ledger (台账查询): one filter widget per table, so each keeps its own choices
LEDGER_FILTERS = {"compounds": "ledger_filters_compounds", "communities": "ledger_filters_communities",
                  "brands": "ledger_filters_brands"}
LEDGER_DOWNLOAD_XLSX = "ledger_download_xlsx"
LEDGER_DOWNLOAD_CSV = "ledger_download_csv"
# Data management (数据管理)
MANAGE_TOWN = "manage_town"
MANAGE_VERSION = "manage_version"
MANAGE_RESTORE = "manage_restore"
MANAGE_RESTORE_CONFIRM = "manage_restore_confirm"
MANAGE_RESTORE_CANCEL = "manage_restore_cancel"
MANAGE_PENDING_RESTORE = "manage_pending_restore"  # upload_id awaiting confirmation
MANAGE_REMOVE_SAMPLE = "manage_remove_sample"
MANAGE_REMOVE_CONFIRM = "manage_remove_confirm"
MANAGE_REMOVE_CANCEL = "manage_remove_cancel"
MANAGE_PENDING_REMOVE = "manage_pending_remove"  # True while the removal awaits confirmation
MANAGE_RESULT = "manage_result"  # (kind, message) of the last action, shown once
