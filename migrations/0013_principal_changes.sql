-- Notifications for the app's in-memory session cache (src/platform/session-cache.ts).
--
-- Each request used to read its session, user, role and department from the
-- database: one statement of the two or three a list page makes. The app now keeps
-- them in memory, and these triggers tell every instance (NOTIFY is sent when the
-- transaction commits) that what it holds may be stale, so that disabling a user,
-- changing a role's permissions or moving a department still takes effect at once,
-- whichever instance or tool made the change.
--
-- Account, role and department changes are rare: one notification per statement,
-- and the listeners drop everything. A session's own changes (sign-out, expiry, its
-- data) name the session, so only that one is dropped; the once-a-minute touch of
-- last_seen_at, which only moves it forward, says nothing: the app updates its cached
-- copy itself. Moving it back (or created_at at all) is a real change: the session
-- may now be expired.
create function principals_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('kehu_principals', '');
  return null;
end $$;

create function session_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('kehu_principals', old.id_hash);
  return null;
end $$;

create trigger users_principals after update or delete or truncate on users
  for each statement execute function principals_changed();
create trigger roles_principals after update or delete or truncate on roles
  for each statement execute function principals_changed();
create trigger departments_principals after update or delete or truncate on departments
  for each statement execute function principals_changed();
create trigger sessions_principals_truncate after truncate on sessions
  for each statement execute function principals_changed();

create trigger sessions_changed_delete after delete on sessions
  for each row execute function session_changed();
create trigger sessions_changed_update after update on sessions
  for each row when (old.data is distinct from new.data or old.csrf is distinct from new.csrf
                     or old.user_id is distinct from new.user_id or old.id_hash is distinct from new.id_hash
                     or old.created_at is distinct from new.created_at or new.last_seen_at < old.last_seen_at)
  execute function session_changed();
