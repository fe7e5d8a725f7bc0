-- Accounts, failed logins and the audit log (migration 4).

-- name: account_count
SELECT count(*) FROM users;

-- name: account
SELECT user_name, role, town, password_hash, email, active, created_at, created_by, changed_at, last_login_at
FROM users
WHERE user_name = $user_name;

-- name: account_by_email
-- An identity provider's e-mail (case-insensitive) or name matched to an account.
SELECT user_name
FROM users
WHERE lower(email) = lower($email) OR user_name = $name
ORDER BY lower(email) = lower($email) DESC
LIMIT 1;

-- name: insert_account
INSERT INTO users (user_name, role, town, password_hash, email, active, created_at, created_by)
VALUES ($user_name, $role, $town, $password_hash, $email, TRUE, $now, $created_by);

-- name: set_password_hash
UPDATE users SET password_hash = $password_hash, changed_at = $now WHERE user_name = $user_name;

-- name: set_active
UPDATE users SET active = $active, changed_at = $now WHERE user_name = $user_name;

-- name: set_last_login
UPDATE users SET last_login_at = $now WHERE user_name = $user_name;

-- name: active_admins
SELECT count(*) FROM users WHERE role = 'admin' AND active;

-- name: accounts
-- Every account with its lock-out state, administrators first.
SELECT u.user_name, u.role, u.town, u.email, u.active, u.password_hash IS NOT NULL AS has_password,
       u.created_at, u.created_by, u.changed_at, u.last_login_at,
       coalesce(f.failures, 0) AS failures, f.locked_until
FROM users u
LEFT JOIN login_failures f USING (user_name)
ORDER BY CASE u.role WHEN 'admin' THEN 0 WHEN 'town' THEN 1 ELSE 2 END, u.town, u.user_name;

-- name: login_failure
SELECT failures, locked_until FROM login_failures WHERE user_name = $user_name;

-- name: put_login_failure
INSERT OR REPLACE INTO login_failures VALUES ($user_name, $failures, $now, $locked_until);

-- name: clear_login_failures
DELETE FROM login_failures WHERE user_name = $user_name;

-- name: insert_audit
INSERT INTO audit_log (audit_id, happened_at, user_name, role, action, town, report_date, file_name, sha256, upload_id,
                       version, detail, source)
VALUES (nextval('audit_id_seq'), $at, $user_name, $role, $action, $town, $report_date, $file_name, $sha256,
        $upload_id, $version, $detail, $source);

-- name: audit_entries
-- The audit log, newest first, with optional filters (NULL: no filter).
SELECT audit_id, happened_at, user_name, role, action, town, report_date, file_name, sha256, upload_id, version, detail, source
FROM audit_log
WHERE ($start::TIMESTAMP IS NULL OR happened_at >= $start::TIMESTAMP)
  AND ($end::TIMESTAMP IS NULL OR happened_at < $end::TIMESTAMP)
  AND ($user_name::VARCHAR IS NULL OR user_name = $user_name::VARCHAR)
  AND ($town::VARCHAR IS NULL OR town = $town::VARCHAR)
  AND ($actions::VARCHAR[] IS NULL OR list_contains($actions::VARCHAR[], action))
ORDER BY happened_at DESC, audit_id DESC;

-- name: audit_users
SELECT DISTINCT user_name FROM audit_log ORDER BY user_name;

-- name: upload_id_of
SELECT upload_id FROM uploads WHERE town = $town AND report_date = $report_date AND version = $version;

-- name: upload_file_of
SELECT file_name, sha256 FROM uploads WHERE upload_id = $upload_id;
