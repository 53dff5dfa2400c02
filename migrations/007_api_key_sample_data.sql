-- A development key for Ada: the raw key is 'dev_ada_key'.
INSERT INTO app.api_keys (id, user_id, prefix, key_hash, scope) VALUES
  ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'dev_ada',
   encode(digest('dev_ada_key', 'sha256'), 'hex'), 'write')
ON CONFLICT (id) DO NOTHING;
