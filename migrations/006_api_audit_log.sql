-- Every API call, visible to its own user only (row-level security).
CREATE TABLE IF NOT EXISTS app.api_audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  api_key_id uuid REFERENCES app.api_keys (id) ON DELETE SET NULL,
  user_id uuid NOT NULL REFERENCES app.users (id) ON DELETE CASCADE,
  method text NOT NULL,
  path text NOT NULL,
  status smallint NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS api_audit_log_user_at_idx ON app.api_audit_log (user_id, at DESC);

ALTER TABLE app.api_audit_log ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS api_audit_log_select_own ON app.api_audit_log;
CREATE POLICY api_audit_log_select_own ON app.api_audit_log
  FOR SELECT USING (user_id = app.current_user_id());

DROP POLICY IF EXISTS api_audit_log_insert_own ON app.api_audit_log;
CREATE POLICY api_audit_log_insert_own ON app.api_audit_log
  FOR INSERT WITH CHECK (user_id = app.current_user_id());
