-- Two users to click around with in development.
INSERT INTO app.users (id, email, password_hash, email_confirmed_at) VALUES
  ('00000000-0000-4000-8000-000000000001', 'ada@example.com', crypt('correct horse', gen_salt('bf', 4)), now()),
  ('00000000-0000-4000-8000-000000000002', 'grace@example.com', crypt('battery staple', gen_salt('bf', 4)), NULL)
ON CONFLICT (id) DO NOTHING;

INSERT INTO app.user_metas (user_id, display_name, locale) VALUES
  ('00000000-0000-4000-8000-000000000001', 'Ada', 'en'),
  ('00000000-0000-4000-8000-000000000002', 'Grace', 'en')
ON CONFLICT (user_id) DO NOTHING;
