import { EMAIL_CHANNEL, NO_BODY, NO_RECIPIENT, NO_SUBJECT } from "../../services/email/index.js";

/**
 * The compatibility view, per dialect: `email_queue` with Vertex AR's columns over Steward's
 * email_jobs, an INSTEAD OF INSERT trigger that checks a row as the API would and queues it,
 * and triggers that refuse UPDATE and DELETE. Reading it shows Steward's jobs in the seed's
 * shape (id = the seed's id where one was given, times as naive UTC text), so the app's
 * status queries keep working.
 */

export const VIEW = "email_queue";

/** Refusals the API words with the input in them; SQLite's RAISE takes only a literal (see below). */
const BAD_ADDRESS_SQLITE = 'to: an entry of recipient_to is not an email address (one "a@b" per comma)';
const BAD_SUBJECT = "subject must not contain CR, LF or NUL";
const BAD_VARIABLES = "variables must be an object";
const NOT_PENDING = "status: email_queue takes new mail only; leave status out or give pending";
const NO_UPDATE =
  "email_queue is Steward's view of its email_jobs: a queued job is not updated through it (Steward sends, retries and settles it; cancel with steward email cancel)";
const NO_DELETE =
  "email_queue is Steward's view of its email_jobs: rows are not deleted through it (cancel a job with steward email cancel; the cleanup removes old ones)";

const q = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * SQLite. Every statement parses in the SQLite that Python links (3.40 on Debian 12), because
 * the app's connection loads the whole schema and one trigger it cannot parse makes the
 * database unreadable to it ("malformed database schema"). So RAISE has only string literals
 * (an expression there needs 3.47+), and there is no WITH inside the triggers; the comma list
 * becomes rows through json_each (built in since 3.38).
 */
const sqliteList = "'[\"' || replace(new.recipient_to, ',', '\",\"') || '\"]'";
// One @ with something either side, and none of the characters that make an address a phrase.
const sqliteNotAddress = `(trim(value) not glob '?*@?*' or trim(value) glob '*[]<> (),;:"[' || char(9, 10, 13) || ']*'
      or length(trim(value)) - length(replace(trim(value), '@', '')) <> 1)`;

export const sqliteEnable: readonly string[] = [
  `create view ${VIEW} as
   select coalesce(j.idempotency_key, cast(j.id as text)) as id,
     (select group_concat(value, ',') from json_each(j.to_addrs)) as recipient_to,
     j.subject as subject, coalesce(j.text_body, '') as body, j.html_body as html, j.template_id as template_id,
     j.variables as variables, case j.status when 'cancelled' then 'failed' else j.status end as status,
     j.attempts as attempts, j.last_error as last_error,
     strftime('%Y-%m-%d %H:%M:%S', j.created_at / 1000.0, 'unixepoch') as created_at,
     strftime('%Y-%m-%d %H:%M:%S', j.updated_at / 1000.0, 'unixepoch') as updated_at
   from email_jobs j`,
  `create trigger ${VIEW}_insert instead of insert on ${VIEW}
   begin
     select raise(abort, ${q(NO_RECIPIENT)})
       where trim(coalesce(new.recipient_to, ''), ' ,') = '';
     select raise(abort, ${q(BAD_ADDRESS_SQLITE)})
       where instr(new.recipient_to, '"') > 0 or instr(new.recipient_to, '\\') > 0
         or exists (select 1 from json_each(${sqliteList}) where trim(value) <> '' and ${sqliteNotAddress});
     select raise(abort, ${q(NO_BODY)})
       where new.body is null and new.html is null and new.template_id is null;
     select raise(abort, ${q(NO_SUBJECT)})
       where new.template_id is null and trim(coalesce(new.subject, '')) = '';
     select raise(abort, ${q(BAD_SUBJECT)})
       where instr(new.subject, char(10)) > 0 or instr(new.subject, char(13)) > 0 or instr(new.subject, char(0)) > 0;
     select raise(abort, ${q(BAD_VARIABLES)})
       where new.variables is not null and (json_valid(new.variables) = 0 or json_type(new.variables) <> 'object');
     select raise(abort, ${q(NOT_PENDING)})
       where new.status is not null and new.status <> 'pending';
     insert into email_jobs (idempotency_key, to_addrs, subject, text_body, html_body, template_id, variables)
     values (new.id,
       (select json_group_array(trim(value)) from json_each(${sqliteList}) where trim(value) <> ''),
       coalesce(new.subject, ''), new.body, new.html, new.template_id, new.variables);
   end`,
  `create trigger ${VIEW}_update instead of update on ${VIEW}
   begin select raise(abort, ${q(NO_UPDATE)}); end`,
  `create trigger ${VIEW}_delete instead of delete on ${VIEW}
   begin select raise(abort, ${q(NO_DELETE)}); end`,
];

export const sqliteDisable: readonly string[] = [
  `drop trigger if exists ${VIEW}_insert`,
  `drop trigger if exists ${VIEW}_update`,
  `drop trigger if exists ${VIEW}_delete`,
  `drop view if exists ${VIEW}`,
];

/**
 * PostgreSQL: the same view, and plpgsql functions behind the triggers. Here a refusal can
 * name the bad entry, as the API does. The insert NOTIFYs the running queues (delivered at
 * the app's commit), so a row inserted through the view is claimed at once, as enqueue's are.
 */
export const pgEnable: readonly string[] = [
  `create view ${VIEW} as
   select coalesce(j.idempotency_key, j.id::text) as id,
     array_to_string(array(select jsonb_array_elements_text(j.to_addrs)), ',') as recipient_to,
     j.subject as subject, coalesce(j.text_body, '') as body, j.html_body as html, j.template_id as template_id,
     j.variables::text as variables, case j.status when 'cancelled' then 'failed' else j.status end as status,
     j.attempts as attempts, j.last_error as last_error,
     to_char(j.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as created_at,
     to_char(j.updated_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as updated_at
   from email_jobs j`,
  `create function ${VIEW}_insert() returns trigger language plpgsql as $body$
   declare
     entries text[];
     entry text;
     vars jsonb;
   begin
     entries := array(select btrim(e) from unnest(string_to_array(coalesce(new.recipient_to, ''), ',')) as e
                      where btrim(e) <> '');
     if cardinality(entries) = 0 then
       raise exception using errcode = 'check_violation', message = ${q(NO_RECIPIENT)};
     end if;
     foreach entry in array entries loop
       if entry !~ '^[^\\s@<>(),;:"\\[\\]\\\\]+@[^\\s@<>(),;:"\\[\\]\\\\]+$' then
         raise exception using errcode = 'check_violation', message = format('to: "%s" is not an email address', entry);
       end if;
     end loop;
     if new.body is null and new.html is null and new.template_id is null then
       raise exception using errcode = 'check_violation', message = ${q(NO_BODY)};
     end if;
     if new.template_id is null and btrim(coalesce(new.subject, '')) = '' then
       raise exception using errcode = 'check_violation', message = ${q(NO_SUBJECT)};
     end if;
     if new.subject ~ '[\\r\\n]' then
       raise exception using errcode = 'check_violation', message = ${q(BAD_SUBJECT)};
     end if;
     if new.variables is not null then
       begin
         vars := new.variables::jsonb;
       exception when others then
         vars := null;
       end;
       if vars is null or jsonb_typeof(vars) <> 'object' then
         raise exception using errcode = 'check_violation', message = ${q(BAD_VARIABLES)};
       end if;
     end if;
     if new.status is not null and new.status <> 'pending' then
       raise exception using errcode = 'check_violation', message = ${q(NOT_PENDING)};
     end if;
     insert into email_jobs (idempotency_key, to_addrs, subject, text_body, html_body, template_id, variables)
     values (new.id, to_jsonb(entries), coalesce(new.subject, ''), new.body, new.html, new.template_id, vars);
     perform pg_notify(${q(EMAIL_CHANNEL)}, current_schema());
     return new;
   end
   $body$`,
  `create function ${VIEW}_refuse() returns trigger language plpgsql as $body$
   begin
     if tg_op = 'UPDATE' then
       raise exception using errcode = 'feature_not_supported', message = ${q(NO_UPDATE)};
     end if;
     raise exception using errcode = 'feature_not_supported', message = ${q(NO_DELETE)};
   end
   $body$`,
  `create trigger ${VIEW}_insert instead of insert on ${VIEW} for each row execute function ${VIEW}_insert()`,
  `create trigger ${VIEW}_refuse instead of update or delete on ${VIEW} for each row execute function ${VIEW}_refuse()`,
];

export const pgDisable: readonly string[] = [
  `drop view if exists ${VIEW}`,
  `drop function if exists ${VIEW}_insert()`,
  `drop function if exists ${VIEW}_refuse()`,
];
