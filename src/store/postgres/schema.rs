//! The database schema of a PostgreSQL store, its versioned migrations, and the two roles.
//!
//! `breach store init` applies every migration the database lacks, in one transaction under a
//! lock, and (re)grants the roles, so running it again changes nothing. The tables are
//! insert-only twice over: the roles hold no UPDATE, DELETE or TRUNCATE privilege, and
//! triggers refuse those operations even for a role that does (the owner included). A trigger
//! also checks that every inserted line is the next link of its incident's chain with a hash
//! that matches its bytes, that an attachment's SHA-256 matches its content, and records the
//! authenticated role that wrote each row, whatever the client sent.

use postgres::Client;
use serde::Serialize;

use crate::error::Error;

/// The role that may read and insert: give it to each responder's own login.
pub(crate) const WRITER_ROLE: &str = "breach_writer";
/// The role that may only read: for auditors and counsel.
pub(crate) const AUDITOR_ROLE: &str = "breach_auditor";

/// Every migration, in order: its version, what it does, and its SQL.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "incidents, entries and attachments; insert-only and chain triggers",
        V1,
    ),
    (
        2,
        "the insert trigger checks each line as verify does; quarantine of damaged entries by the owner",
        V2,
    ),
    (
        3,
        "the organisation's files (profile, runbooks, templates), every version kept, insert-only",
        V3,
    ),
];

/// The newest schema this build knows.
pub(crate) const LATEST: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

const V1: &str = r#"
CREATE TABLE breach.incidents (
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_by name NOT NULL DEFAULT session_user
);

CREATE TABLE breach.entries (
    incident text NOT NULL REFERENCES breach.incidents (id),
    seq bigint NOT NULL CHECK (seq >= 0),
    prev text NOT NULL,
    hash text NOT NULL,
    end_offset bigint NOT NULL,
    kind text NOT NULL,
    line bytea NOT NULL,
    written_by name NOT NULL DEFAULT session_user,
    written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (incident, seq)
);

CREATE TABLE breach.attachments (
    incident text NOT NULL REFERENCES breach.incidents (id),
    sha256 text NOT NULL,
    bytes bigint NOT NULL,
    content bytea NOT NULL,
    written_by name NOT NULL DEFAULT session_user,
    written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (incident, sha256)
);

CREATE FUNCTION breach.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'breach: % on breach.% is refused: the incident record is insert-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER incidents_insert_only BEFORE UPDATE OR DELETE ON breach.incidents
    FOR EACH ROW EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER incidents_no_truncate BEFORE TRUNCATE ON breach.incidents
    FOR EACH STATEMENT EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER entries_insert_only BEFORE UPDATE OR DELETE ON breach.entries
    FOR EACH ROW EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON breach.entries
    FOR EACH STATEMENT EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER attachments_insert_only BEFORE UPDATE OR DELETE ON breach.attachments
    FOR EACH ROW EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON breach.attachments
    FOR EACH STATEMENT EXECUTE FUNCTION breach.refuse_change();

CREATE FUNCTION breach.stamp_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_by := session_user;
    NEW.created_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE TRIGGER incidents_stamp BEFORE INSERT ON breach.incidents
    FOR EACH ROW EXECUTE FUNCTION breach.stamp_incident();

CREATE FUNCTION breach.check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
    n integer := octet_length(NEW.line);
BEGIN
    NEW.written_by := session_user;
    NEW.written_at := clock_timestamp();
    SELECT seq, hash, end_offset INTO last FROM breach.entries
        WHERE incident = NEW.incident ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        IF NEW.seq <> 0 OR NEW.prev <> repeat('0', 64) OR NEW.end_offset <> n THEN
            RAISE EXCEPTION 'breach: entry % of incident % is not the first link of a chain', NEW.seq, NEW.incident
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.seq <> last.seq + 1 OR NEW.prev <> last.hash OR NEW.end_offset <> last.end_offset + n THEN
        RAISE EXCEPTION 'breach: entry % of incident % is not the next link of its chain (it ends at entry %)', NEW.seq, NEW.incident, last.seq
            USING ERRCODE = 'check_violation';
    END IF;
    IF n < 77
        OR substring(NEW.line FROM n - 75) <> convert_to(',"hash":"' || NEW.hash || '"}' || E'\n', 'UTF8')
        OR encode(sha256(substring(NEW.line FROM 1 FOR n - 76)), 'hex') <> NEW.hash
        OR position(convert_to('{"seq":' || NEW.seq || ',"prev":"' || NEW.prev || '",', 'UTF8') IN NEW.line) <> 1
    THEN
        RAISE EXCEPTION 'breach: entry % of incident %: the line does not match its seq, prev and hash', NEW.seq, NEW.incident
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER entries_chain BEFORE INSERT ON breach.entries
    FOR EACH ROW EXECUTE FUNCTION breach.check_entry();

CREATE FUNCTION breach.check_attachment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.written_by := session_user;
    NEW.written_at := clock_timestamp();
    IF encode(sha256(NEW.content), 'hex') <> NEW.sha256 OR octet_length(NEW.content) <> NEW.bytes THEN
        RAISE EXCEPTION 'breach: attachment % of incident %: its SHA-256 or size does not match its content', NEW.sha256, NEW.incident
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER attachments_checked BEFORE INSERT ON breach.attachments
    FOR EACH ROW EXECUTE FUNCTION breach.check_attachment();
"#;

/// Version 2: the insert trigger refuses whatever `verify` would reject of a line on its own and
/// beside the one before it (a line that is not one JSON record of the log's format in UTF-8,
/// an unknown field or clock, a `kind` column that is not the line's, a time that is not a time
/// or is earlier than the previous entry's, a first entry that does not open this incident), so
/// no login can freeze an incident with a line `breach` would then call damage. And an incident
/// damaged anyway (before this version, or by an owner who turned the triggers off) has a way
/// back: its owner's `breach repair` moves the entries from the first bad one on into
/// `breach.quarantined_entries` (insert-only, with who and when) and records that it did; the
/// delete is allowed only for rows copied there in the same transaction.
const V2: &str = r#"
CREATE TABLE breach.quarantined_entries (
    incident text NOT NULL,
    seq bigint NOT NULL,
    hash text NOT NULL,
    line bytea NOT NULL,
    written_by name NOT NULL,
    written_at timestamptz NOT NULL,
    reason text NOT NULL,
    quarantined_by name NOT NULL DEFAULT session_user,
    quarantined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (incident, seq, quarantined_at)
);
CREATE TRIGGER quarantined_insert_only BEFORE UPDATE OR DELETE ON breach.quarantined_entries
    FOR EACH ROW EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER quarantined_no_truncate BEFORE TRUNCATE ON breach.quarantined_entries
    FOR EACH STATEMENT EXECUTE FUNCTION breach.refuse_change();

CREATE OR REPLACE FUNCTION breach.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'entries' THEN
        IF current_setting('breach.quarantine', true) = OLD.incident AND EXISTS (
            SELECT 1 FROM breach.quarantined_entries q
            WHERE q.incident = OLD.incident AND q.seq = OLD.seq AND q.hash = OLD.hash
              AND q.line = OLD.line AND q.quarantined_at = now()
        ) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'breach: % on breach.% is refused: the incident record is insert-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION breach.check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
    n integer := octet_length(NEW.line);
    doc jsonb;
    at timestamptz;
    before timestamptz;
BEGIN
    NEW.written_by := session_user;
    NEW.written_at := clock_timestamp();
    SELECT seq, hash, end_offset, line INTO last FROM breach.entries
        WHERE incident = NEW.incident ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        IF NEW.seq <> 0 OR NEW.prev <> repeat('0', 64) OR NEW.end_offset <> n THEN
            RAISE EXCEPTION 'breach: entry % of incident % is not the first link of a chain', NEW.seq, NEW.incident
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.seq <> last.seq + 1 OR NEW.prev <> last.hash OR NEW.end_offset <> last.end_offset + n THEN
        RAISE EXCEPTION 'breach: entry % of incident % is not the next link of its chain (it ends at entry %)', NEW.seq, NEW.incident, last.seq
            USING ERRCODE = 'check_violation';
    END IF;
    IF n < 77
        OR substring(NEW.line FROM n - 75) <> convert_to(',"hash":"' || NEW.hash || '"}' || E'\n', 'UTF8')
        OR encode(sha256(substring(NEW.line FROM 1 FOR n - 76)), 'hex') <> NEW.hash
        OR position(convert_to('{"seq":' || NEW.seq || ',"prev":"' || NEW.prev || '",', 'UTF8') IN NEW.line) <> 1
    THEN
        RAISE EXCEPTION 'breach: entry % of incident %: the line does not match its seq, prev and hash', NEW.seq, NEW.incident
            USING ERRCODE = 'check_violation';
    END IF;
    IF n > 4 * 1024 * 1024 + 1
        OR position('\x00'::bytea IN NEW.line) > 0
        OR position('\x0a'::bytea IN substring(NEW.line FROM 1 FOR n - 1)) > 0
    THEN
        RAISE EXCEPTION 'breach: entry % of incident %: the line is too long or holds a NUL byte or a newline', NEW.seq, NEW.incident
            USING ERRCODE = 'check_violation';
    END IF;
    BEGIN
        doc := convert_from(substring(NEW.line FROM 1 FOR n - 1), 'UTF8')::jsonb;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION 'breach: entry % of incident %: the line is not JSON in UTF-8', NEW.seq, NEW.incident
            USING ERRCODE = 'check_violation';
    END;
    IF jsonb_typeof(doc) <> 'object'
        OR EXISTS (SELECT 1 FROM jsonb_object_keys(doc) k
                   WHERE k NOT IN ('seq', 'prev', 'ts', 'clock', 'at', 'allowed', 'actor', 'kind', 'data', 'sig', 'hash'))
        OR jsonb_typeof(doc->'ts') IS DISTINCT FROM 'string'
        OR jsonb_typeof(doc->'actor') IS DISTINCT FROM 'string'
        OR jsonb_typeof(doc->'kind') IS DISTINCT FROM 'string'
        OR doc->>'kind' IS DISTINCT FROM NEW.kind
        OR NOT doc ? 'data'
        OR coalesce(jsonb_typeof(doc->'clock'), 'null') <> 'null' AND doc->>'clock' <> 'substituted'
        OR coalesce(jsonb_typeof(doc->'at'), 'null') NOT IN ('null', 'string')
        OR coalesce(jsonb_typeof(doc->'allowed'), 'null') NOT IN ('null', 'string')
        OR coalesce(jsonb_typeof(doc->'sig'), 'null') NOT IN ('null', 'string')
    THEN
        RAISE EXCEPTION 'breach: entry % of incident %: the line is not a record of the log''s format (fields, clock, or a kind that is not its kind column)', NEW.seq, NEW.incident
            USING ERRCODE = 'check_violation';
    END IF;
    IF doc->>'ts' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$' THEN
        RAISE EXCEPTION 'breach: entry % of incident %: its time is not a time in RFC 3339', NEW.seq, NEW.incident
            USING ERRCODE = 'check_violation';
    END IF;
    BEGIN
        at := (doc->>'ts')::timestamptz;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION 'breach: entry % of incident %: its time is not a time', NEW.seq, NEW.incident
            USING ERRCODE = 'check_violation';
    END;
    IF last.seq IS NOT NULL THEN
        before := (convert_from(substring(last.line FROM 1 FOR octet_length(last.line) - 1), 'UTF8')::jsonb->>'ts')::timestamptz;
        IF at < before THEN
            RAISE EXCEPTION 'breach: entry % of incident % is recorded at %, earlier than entry % (%)', NEW.seq, NEW.incident, doc->>'ts', last.seq, before
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.seq = 0 AND (doc->>'kind' <> 'incident_opened' OR doc->'data'->>'incident' IS DISTINCT FROM NEW.incident) THEN
        RAISE EXCEPTION 'breach: entry 0 of incident % does not open incident %', NEW.incident, NEW.incident
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
"#;

/// Version 3: the organisation's own files, so every machine of a team drafts the same letters
/// and works the same runbooks. Every version is a row (a withdrawal is one without content);
/// the newest row of a kind and name is the current file. Insert-only as the log is, with the
/// writer's login and the time stamped by the database and the SHA-256 checked against the
/// content.
const V3: &str = r#"
CREATE TABLE breach.organisation_files (
    version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('profile', 'runbook', 'template', 'file')),
    name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    content bytea CHECK (octet_length(content) <= 4194304),
    sha256 text,
    written_by name NOT NULL DEFAULT session_user,
    written_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX organisation_files_current ON breach.organisation_files (kind, name, version DESC);
-- The lock a change of the files takes: this one row locked FOR UPDATE, which needs UPDATE on
-- its column, granted to writers only (as the incidents' lock), so a read-only login cannot
-- block changes; the insert-only trigger still refuses any UPDATE.
CREATE TABLE breach.organisation_lock (id integer PRIMARY KEY CHECK (id = 1));
INSERT INTO breach.organisation_lock VALUES (1);
CREATE TRIGGER organisation_lock_insert_only BEFORE UPDATE OR DELETE ON breach.organisation_lock
    FOR EACH ROW EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER organisation_lock_no_truncate BEFORE TRUNCATE ON breach.organisation_lock
    FOR EACH STATEMENT EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER organisation_files_insert_only BEFORE UPDATE OR DELETE ON breach.organisation_files
    FOR EACH ROW EXECUTE FUNCTION breach.refuse_change();
CREATE TRIGGER organisation_files_no_truncate BEFORE TRUNCATE ON breach.organisation_files
    FOR EACH STATEMENT EXECUTE FUNCTION breach.refuse_change();

CREATE FUNCTION breach.check_organisation_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.written_by := session_user;
    NEW.written_at := clock_timestamp();
    IF (NEW.content IS NULL) <> (NEW.sha256 IS NULL)
        OR NEW.content IS NOT NULL AND encode(sha256(NEW.content), 'hex') <> NEW.sha256
    THEN
        RAISE EXCEPTION 'breach: organisation file % %: its SHA-256 does not match its content', NEW.kind, NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER organisation_files_checked BEFORE INSERT ON breach.organisation_files
    FOR EACH ROW EXECUTE FUNCTION breach.check_organisation_file();
"#;

/// The roles, made once per cluster (a concurrent `init` in another database may make them
/// first), and what each may do, granted again on every `init`.
const ROLES_AND_GRANTS: &str = r#"
DO $$
BEGIN
    BEGIN
        CREATE ROLE breach_writer NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE breach_auditor NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END
$$;
REVOKE ALL ON ALL TABLES IN SCHEMA breach FROM PUBLIC;
GRANT USAGE ON SCHEMA breach TO breach_writer, breach_auditor;
GRANT SELECT ON ALL TABLES IN SCHEMA breach TO breach_writer, breach_auditor;
GRANT INSERT ON breach.incidents, breach.entries, breach.attachments, breach.organisation_files TO breach_writer;
-- The write lock is the incident's row locked FOR UPDATE, which needs UPDATE on a column:
-- granted so that only a writer can take it (an auditor cannot block writers), while the
-- insert-only trigger still refuses any UPDATE.
GRANT UPDATE (id) ON breach.incidents, breach.organisation_lock TO breach_writer;
"#;

/// What `breach store init` did.
#[derive(Debug, Serialize)]
pub(crate) struct Initialised {
    /// The store, without a password.
    pub store: String,
    /// The schema version before (0 for a database without one).
    pub from_version: i32,
    /// The schema version now.
    pub version: i32,
    /// The migrations applied, in order.
    pub applied: Vec<String>,
    pub writer_role: &'static str,
    pub auditor_role: &'static str,
}

/// Applies every migration the database lacks and grants the roles; idempotent.
pub(crate) fn init(client: &mut Client, shown: &str) -> Result<Initialised, Error> {
    let fail = |doing: &str, e: postgres::Error| {
        Error::database(
            format!(
                "the PostgreSQL store at {shown} could not {doing}: {}",
                super::one_line(&e)
            ),
            Some(Box::new(e)),
        )
    };
    let mut tx = client.transaction().map_err(|e| fail("begin", e))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, 0)",
        &[&super::LOCK_NAMESPACE],
    )
    .map_err(|e| fail("lock the schema", e))?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS breach;
         CREATE TABLE IF NOT EXISTS breach.schema_version (
             version integer PRIMARY KEY,
             description text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
             applied_by name NOT NULL DEFAULT session_user
         );",
    )
    .map_err(|e| fail("create the schema", e))?;
    let from_version: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM breach.schema_version",
            &[],
        )
        .map_err(|e| fail("read the schema version", e))?
        .get(0);
    if from_version > LATEST {
        return Err(newer(shown, from_version));
    }
    let mut applied = Vec::new();
    for (version, description, sql) in MIGRATIONS.iter().filter(|m| m.0 > from_version) {
        tx.batch_execute(sql)
            .map_err(|e| fail(&format!("apply migration {version} ({description})"), e))?;
        tx.execute(
            "INSERT INTO breach.schema_version (version, description) VALUES ($1, $2)",
            &[version, description],
        )
        .map_err(|e| fail("record the migration", e))?;
        applied.push(format!("{version}: {description}"));
    }
    tx.batch_execute(ROLES_AND_GRANTS)
        .map_err(|e| fail("create and grant the roles", e))?;
    tx.commit().map_err(|e| fail("commit the schema", e))?;
    Ok(Initialised {
        store: shown.to_owned(),
        from_version,
        version: LATEST,
        applied,
        writer_role: WRITER_ROLE,
        auditor_role: AUDITOR_ROLE,
    })
}

/// Checks that the database holds the schema this build writes, and returns the current
/// version of the organisation's files (0 when there are none yet).
pub(crate) fn check(client: &mut Client, shown: &str) -> Result<i64, Error> {
    // One round trip when the schema is current: the session's settings, the schema's version
    // and the organisation files', in one simple query.
    let current = client.simple_query(&format!(
        "{}; SELECT (SELECT max(version) FROM breach.schema_version), \
                (SELECT coalesce(max(version), 0) FROM breach.organisation_files)",
        super::address::SESSION_SETTINGS
    ));
    // Otherwise the version alone, to say what is wrong.
    match current {
        Ok(messages) => {
            let row = messages.iter().find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => Some(row),
                _ => None,
            });
            let value = |i: usize| {
                row.and_then(|r| r.get(i))
                    .and_then(|v| v.parse::<i64>().ok())
            };
            if value(0) == Some(i64::from(LATEST))
                && let Some(files) = value(1)
            {
                return Ok(files);
            }
        }
        Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => {}
        Err(e) if e.code() == Some(&postgres::error::SqlState::INVALID_SCHEMA_NAME) => {}
        Err(e) => return Err(unreadable(shown, e)),
    }
    // The settings were part of the query that failed: set them on their own.
    client
        .batch_execute(super::address::SESSION_SETTINGS)
        .map_err(|e| unreadable(shown, e))?;
    let version: Option<i32> =
        match client.query_one("SELECT max(version) FROM breach.schema_version", &[]) {
            Ok(row) => row.get(0),
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => None,
            Err(e) if e.code() == Some(&postgres::error::SqlState::INVALID_SCHEMA_NAME) => None,
            Err(e) => return Err(unreadable(shown, e)),
        };
    match version {
        None | Some(0) => Err(Error::database(
            format!(
                "{shown} holds no breach store yet: its owner runs `breach store init --store {shown}` once (see the README's \"A shared store on PostgreSQL\")"
            ),
            None,
        )),
        Some(v) if v > LATEST => Err(newer(shown, v)),
        Some(v) => Err(Error::database(
            format!(
                "{shown} holds an older breach schema (version {v}; this breach writes {LATEST}): its owner runs `breach store init --store {shown}` to migrate it"
            ),
            None,
        )),
    }
}

fn unreadable(shown: &str, e: postgres::Error) -> Error {
    Error::database(
        format!(
            "the PostgreSQL store at {shown} could not be read: {}",
            super::one_line(&e)
        ),
        Some(Box::new(e)),
    )
}

fn newer(shown: &str, version: i32) -> Error {
    Error::database(
        format!(
            "{shown} holds breach schema version {version}, newer than this breach knows ({LATEST}): update breach"
        ),
        None,
    )
}
