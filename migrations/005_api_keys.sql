-- API keys: only a hash is stored; the prefix lets a user recognise a key.
DO $$
BEGIN
  CREATE TYPE app.api_key_scope AS ENUM ('read', 'write', 'admin');
EXCEPTION WHEN duplicate_object THEN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS app.api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES app.users (id) ON DELETE CASCADE,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scope app.api_key_scope NOT NULL DEFAULT 'read',
  last_used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS api_keys_user_id_idx ON app.api_keys (user_id) WHERE revoked_at IS NULL;

CREATE OR REPLACE FUNCTION app.verify_api_key(raw text) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT user_id FROM app.api_keys
   WHERE key_hash = encode(digest(raw, 'sha256'), 'hex') AND revoked_at IS NULL;
$$;
