"""Session-state and widget keys, declared once."""
APP_RAN = "app_ran"  # set by app.py on every run
CURSOR = "db_cursor"
DATA_VERSION = "data_version"  # the store's data version, read by app.py at the start of every run
AS_OF = "as_of"
TOWN = "town"
UPLOAD_FILES = "upload_files"
UPLOAD_TOWN = "upload_town"
UPLOAD_DATE = "upload_date"
UPLOAD_PREFLIGHT = "upload_preflight"
UPLOAD_RESULT = "upload_result"
UPLOAD_REFUSALS_LOGGED = "upload_refusals_logged"  # sha256 of refused files already in the audit log
UPLOAD_ANNOTATE = "upload_annotate"  # sha256 of large files whose annotated copy the clerk asked for
LEDGER_TOWN = "ledger_town"
LEDGER_SEARCH = "ledger_search"
LEDGER_TABLE = "ledger_table"
HISTORY_TOWN = "history_town"
# Submissions (报送情况)
SUBMISSIONS_DATE = "submissions_date"
SUBMISSIONS_PAGE = "submissions_page"  # which towns the matrix shows (many towns only)
# Ledger (台账查询): one filter widget per table, so each keeps its own choices
LEDGER_FILTERS = {"compounds": "ledger_filters_compounds", "communities": "ledger_filters_communities",
                  "brands": "ledger_filters_brands"}
LEDGER_DOWNLOAD_XLSX = "ledger_download_xlsx"
LEDGER_DOWNLOAD_CSV = "ledger_download_csv"
LEDGER_PAGE = "ledger_page"  # which page of matching rows the table shows
LEDGER_PAGE_QUERY = "ledger_page_query"  # the choices that page belongs to (new choices: first page)
# Ranking (考核排名)
RANKING_LEDGER_PAGE = "ranking_ledger_page"  # which page of towns' points ledgers (many towns only)
# Data management (数据管理) and upload history
MANAGE_HISTORY_PAGE = "manage_history_page"
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
# Signing in (pages/auth.py, pages/login.py)
ACTOR = "actor"  # the core.access.Actor of this session, set by app.py on every run
AUTH_USER = "auth_user"  # account name signed in with a password
AUTH_SEEN = "auth_seen"  # when this session last did anything (idle expiry)
AUTH_IDENTITY_LOGGED = "auth_identity_logged"  # the identity-provider sign-in of this session is in the audit log
AUTH_NOTICE = "auth_notice"  # a message for the login page (signed out, expired)
LOGIN_NAME = "login_name"
LOGIN_PASSWORD = "login_password"
LOGIN_SUBMIT = "login_submit"
LOGIN_OIDC = "login_oidc"
LOGOUT = "logout"
# Accounts (账号管理)
ACCOUNTS_NAME = "accounts_name"
ACCOUNTS_ROLE = "accounts_role"
ACCOUNTS_TOWN = "accounts_town"
ACCOUNTS_EMAIL = "accounts_email"
ACCOUNTS_PASSWORD = "accounts_password"
ACCOUNTS_PASSWORD2 = "accounts_password2"
ACCOUNTS_ADD = "accounts_add"
ACCOUNTS_PICK = "accounts_pick"
ACCOUNTS_TOGGLE = "accounts_toggle"
ACCOUNTS_NEW_PASSWORD = "accounts_new_password"
ACCOUNTS_NEW_PASSWORD2 = "accounts_new_password2"
ACCOUNTS_RESET = "accounts_reset"
ACCOUNTS_RESULT = "accounts_result"  # (kind, message) of the last action, shown once
# Audit log (审计日志)
AUDIT_DAYS = "audit_days"
AUDIT_USER = "audit_user"
AUDIT_ACTIONS = "audit_actions"
AUDIT_TOWN = "audit_town"
AUDIT_DOWNLOAD_XLSX = "audit_download_xlsx"
AUDIT_DOWNLOAD_CSV = "audit_download_csv"
