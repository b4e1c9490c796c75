//! Maintained customer counts, so that `customerCount` with one tag, one
//! status, one country or no filter answers from a handful of rows instead
//! of counting hundreds of thousands.
//!
//! `customer_counts` holds, per tenant, how many customers there are in all
//! (facet `all`), per status, per country (`''` for none) and per tag.
//! Triggers keep it in step with `customers` and `customer_tags` in the
//! transaction that changes them, whichever code path does it.
//!
//! PostgreSQL: a key's count is the sum of its rows. Each statement adds
//! one row of deltas per key it touches, so concurrent writers never wait
//! on a shared counter row; `customer_counts_fold()`, called every few
//! seconds by the server, folds a key's rows into one.
//! SQLite has one writer at a time: one row per key, updated in place.
//!
//! A tag that no customer has any more leaves no row (tags may name
//! people, and an erasure removes every copy of what it erases); statuses
//! and countries are not personal, and their empty keys go at the next
//! fold on PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counts of the rows already there, taken after the triggers exist
/// (on PostgreSQL, creating them waits for writers and holds them off
/// until the migration commits).
const BACKFILL: &str = "INSERT INTO customer_counts (tenant_id, facet, value, n)
    SELECT tenant_id, 'all', '', COUNT(*) FROM customers GROUP BY tenant_id
    UNION ALL SELECT tenant_id, 'status', status, COUNT(*) FROM customers GROUP BY tenant_id, status
    UNION ALL SELECT tenant_id, 'country', COALESCE(country, ''), COUNT(*) FROM customers GROUP BY tenant_id, COALESCE(country, '')
    UNION ALL SELECT tenant_id, 'tag', tag, COUNT(*) FROM customer_tags GROUP BY tenant_id, tag";

/// PostgreSQL's trigger for a customer changing status or country (a later
/// migration drops and makes it again around changing those columns).
pub(crate) const COUNTED_UPDATE: &str = "CREATE TRIGGER customers_counted_update AFTER UPDATE OF status, country ON customers
     FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.country IS DISTINCT FROM NEW.country)
     EXECUTE FUNCTION customer_counts_moved()";

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE customer_counts (
        tenant_id varchar(64) NOT NULL,
        facet varchar(16) NOT NULL,
        value varchar(64) NOT NULL,
        n bigint NOT NULL
    )",
    "CREATE INDEX customer_counts_key ON customer_counts (tenant_id, facet, value) INCLUDE (n)",
    // Rows added or removed by one statement: one delta row per key.
    "CREATE FUNCTION customer_counts_rows() RETURNS trigger LANGUAGE plpgsql
     SET search_path FROM CURRENT AS $$
     DECLARE sign bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
     BEGIN
        INSERT INTO customer_counts (tenant_id, facet, value, n)
        SELECT tenant_id, facet, value, sign * COUNT(*) FROM (
            SELECT tenant_id, 'all' AS facet, '' AS value FROM changed
            UNION ALL SELECT tenant_id, 'status', status FROM changed
            UNION ALL SELECT tenant_id, 'country', COALESCE(country, '') FROM changed
        ) AS keys
        GROUP BY tenant_id, facet, value;
        RETURN NULL;
     END $$",
    "CREATE TRIGGER customers_counted_insert AFTER INSERT ON customers
     REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_rows()",
    "CREATE TRIGGER customers_counted_delete AFTER DELETE ON customers
     REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_rows()",
    // A customer moving to another status or country (rare: row by row).
    "CREATE FUNCTION customer_counts_moved() RETURNS trigger LANGUAGE plpgsql
     SET search_path FROM CURRENT AS $$
     BEGIN
        IF OLD.status IS DISTINCT FROM NEW.status THEN
            INSERT INTO customer_counts (tenant_id, facet, value, n)
            VALUES (NEW.tenant_id, 'status', OLD.status, -1), (NEW.tenant_id, 'status', NEW.status, 1);
        END IF;
        IF OLD.country IS DISTINCT FROM NEW.country THEN
            INSERT INTO customer_counts (tenant_id, facet, value, n)
            VALUES (NEW.tenant_id, 'country', COALESCE(OLD.country, ''), -1),
                   (NEW.tenant_id, 'country', COALESCE(NEW.country, ''), 1);
        END IF;
        RETURN NULL;
     END $$",
    COUNTED_UPDATE,
    "CREATE FUNCTION customer_counts_tags() RETURNS trigger LANGUAGE plpgsql
     SET search_path FROM CURRENT AS $$
     DECLARE sign bigint := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
     BEGIN
        INSERT INTO customer_counts (tenant_id, facet, value, n)
        SELECT tenant_id, 'tag', tag, sign * COUNT(*) FROM changed GROUP BY tenant_id, tag;
        IF TG_OP = 'DELETE' THEN
            -- A tag no customer has any more leaves no row behind (a tag
            -- may name a person, and erasure removes every copy). Only a
            -- set of rows that sums to zero goes; the lock keeps a fold
            -- from replacing rows under this statement.
            PERFORM pg_advisory_xact_lock_shared(7270122, hashtext(current_schema()));
            DELETE FROM customer_counts c
            USING (SELECT DISTINCT tenant_id, tag FROM changed) k
            WHERE c.tenant_id = k.tenant_id AND c.facet = 'tag' AND c.value = k.tag
              AND (SELECT SUM(s.n) FROM customer_counts s
                   WHERE s.tenant_id = k.tenant_id AND s.facet = 'tag' AND s.value = k.tag) = 0;
        END IF;
        RETURN NULL;
     END $$",
    "CREATE TRIGGER customer_tags_counted_insert AFTER INSERT ON customer_tags
     REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_tags()",
    "CREATE TRIGGER customer_tags_counted_delete AFTER DELETE ON customer_tags
     REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_tags()",
    // Folds each key's delta rows into one (dropping keys that sum to
    // zero); returns how many keys it folded. One server at a time (per
    // schema): the others skip their turn instead of waiting.
    "CREATE FUNCTION customer_counts_fold() RETURNS bigint LANGUAGE plpgsql
     SET search_path FROM CURRENT AS $$
     DECLARE folded bigint;
     BEGIN
        IF NOT pg_try_advisory_xact_lock(7270122, hashtext(current_schema())) THEN
            RETURN 0;
        END IF;
        WITH keys AS (
            SELECT tenant_id, facet, value FROM customer_counts
            GROUP BY tenant_id, facet, value HAVING COUNT(*) > 1 OR SUM(n) = 0
        ), gone AS (
            DELETE FROM customer_counts c USING keys k
            WHERE c.tenant_id = k.tenant_id AND c.facet = k.facet AND c.value = k.value
            RETURNING c.tenant_id, c.facet, c.value, c.n
        )
        INSERT INTO customer_counts (tenant_id, facet, value, n)
        SELECT tenant_id, facet, value, SUM(n) FROM gone
        GROUP BY tenant_id, facet, value HAVING SUM(n) <> 0;
        GET DIAGNOSTICS folded = ROW_COUNT;
        RETURN folded;
     END $$",
    BACKFILL,
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER customer_tags_counted_delete ON customer_tags",
    "DROP TRIGGER customer_tags_counted_insert ON customer_tags",
    "DROP TRIGGER customers_counted_update ON customers",
    "DROP TRIGGER customers_counted_delete ON customers",
    "DROP TRIGGER customers_counted_insert ON customers",
    "DROP FUNCTION customer_counts_fold()",
    "DROP FUNCTION customer_counts_tags()",
    "DROP FUNCTION customer_counts_moved()",
    "DROP FUNCTION customer_counts_rows()",
    "DROP TABLE customer_counts",
];

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE customer_counts (
        tenant_id varchar(64) NOT NULL,
        facet varchar(16) NOT NULL,
        value varchar(64) NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (tenant_id, facet, value)
    ) WITHOUT ROWID",
    "CREATE TRIGGER customers_counted_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_counts (tenant_id, facet, value, n) VALUES
            (new.tenant_id, 'all', '', 1),
            (new.tenant_id, 'status', new.status, 1),
            (new.tenant_id, 'country', COALESCE(new.country, ''), 1)
        ON CONFLICT (tenant_id, facet, value) DO UPDATE SET n = n + excluded.n;
     END",
    "CREATE TRIGGER customers_counted_delete AFTER DELETE ON customers BEGIN
        INSERT INTO customer_counts (tenant_id, facet, value, n) VALUES
            (old.tenant_id, 'all', '', -1),
            (old.tenant_id, 'status', old.status, -1),
            (old.tenant_id, 'country', COALESCE(old.country, ''), -1)
        ON CONFLICT (tenant_id, facet, value) DO UPDATE SET n = n + excluded.n;
     END",
    "CREATE TRIGGER customers_counted_update AFTER UPDATE OF status, country ON customers
     WHEN old.status IS NOT new.status OR old.country IS NOT new.country BEGIN
        INSERT INTO customer_counts (tenant_id, facet, value, n) VALUES
            (old.tenant_id, 'status', old.status, -1),
            (new.tenant_id, 'status', new.status, 1),
            (old.tenant_id, 'country', COALESCE(old.country, ''), -1),
            (new.tenant_id, 'country', COALESCE(new.country, ''), 1)
        ON CONFLICT (tenant_id, facet, value) DO UPDATE SET n = n + excluded.n;
     END",
    "CREATE TRIGGER customer_tags_counted_insert AFTER INSERT ON customer_tags BEGIN
        INSERT INTO customer_counts (tenant_id, facet, value, n) VALUES (new.tenant_id, 'tag', new.tag, 1)
        ON CONFLICT (tenant_id, facet, value) DO UPDATE SET n = n + excluded.n;
     END",
    "CREATE TRIGGER customer_tags_counted_delete AFTER DELETE ON customer_tags BEGIN
        INSERT INTO customer_counts (tenant_id, facet, value, n) VALUES (old.tenant_id, 'tag', old.tag, -1)
        ON CONFLICT (tenant_id, facet, value) DO UPDATE SET n = n + excluded.n;
        DELETE FROM customer_counts
        WHERE tenant_id = old.tenant_id AND facet = 'tag' AND value = old.tag AND n = 0;
     END",
    BACKFILL,
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER customer_tags_counted_delete",
    "DROP TRIGGER customer_tags_counted_insert",
    "DROP TRIGGER customers_counted_update",
    "DROP TRIGGER customers_counted_delete",
    "DROP TRIGGER customers_counted_insert",
    "DROP TABLE customer_counts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}
