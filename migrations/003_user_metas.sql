-- Profile data that the app shows; one row per user.
CREATE TABLE IF NOT EXISTS app.user_metas (
  user_id uuid PRIMARY KEY REFERENCES app.users (id) ON DELETE CASCADE,
  display_name text,
  avatar_url text,
  locale text NOT NULL DEFAULT 'en',
  preferences jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE app.user_metas ADD COLUMN IF NOT EXISTS timezone text NOT NULL DEFAULT 'UTC';

DROP TRIGGER IF EXISTS user_metas_set_updated_at ON app.user_metas;
CREATE TRIGGER user_metas_set_updated_at BEFORE UPDATE ON app.user_metas
  FOR EACH ROW EXECUTE FUNCTION app.set_updated_at();
