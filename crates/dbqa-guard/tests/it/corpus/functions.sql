-- case: pg_sleep
SELECT pg_sleep(10)
-- case: pg_sleep_for qualified with pg_catalog
SELECT pg_catalog.pg_sleep_for('5 minutes')
-- case: pg_read_file
SELECT pg_read_file('/etc/passwd')
-- case: pg_read_binary_file
SELECT pg_read_binary_file('/etc/passwd')
-- case: pg_ls_dir in from
-- dialects: postgres
SELECT * FROM pg_ls_dir('.')
-- case: lo_import and lo_export
SELECT lo_import('/etc/passwd'), lo_export(1, '/tmp/x')
-- case: dblink
-- dialects: postgres
SELECT * FROM dblink('host=evil', 'select 1') AS t(a int)
-- case: set_config
SELECT set_config('search_path', 'evil', false)
-- case: nextval and setval
SELECT nextval('s'), setval('s', 1)
-- case: terminate and cancel backend
SELECT pg_terminate_backend(1), pg_cancel_backend(2)
-- case: advisory lock
SELECT pg_advisory_lock(1)
-- case: query_to_xml runs sql
SELECT query_to_xml('delete from t', true, false, '')
-- case: mysql sleep
SELECT SLEEP(10)
-- case: mysql benchmark
SELECT BENCHMARK(1000000, md5('x'))
-- case: mysql load_file
SELECT LOAD_FILE('/etc/passwd')
-- case: mysql get_lock
SELECT GET_LOCK('x', 10)
-- case: sqlite load_extension
SELECT load_extension('/tmp/evil.so')
-- case: sqlite readfile and writefile
SELECT writefile('/tmp/x', readfile('/etc/passwd'))
-- case: sql server openrowset
-- dialects: mssql
SELECT * FROM OPENROWSET('SQLNCLI', 'Server=evil;', 'SELECT 1') AS a
-- case: sql server openquery
-- dialects: mssql
SELECT * FROM OPENQUERY(evil, 'SELECT 1')
-- case: sql server opendatasource function
-- dialects: mssql
SELECT OPENDATASOURCE('SQLNCLI', 'Data Source=evil')
-- case: sql server xp procedure as a function
-- dialects: mssql
SELECT xp_cmdshell('dir')
-- case: forbidden function hidden in a subquery
SELECT id FROM t WHERE id IN (SELECT pg_sleep(1))
-- case: forbidden function in a cte body
WITH s AS (SELECT sleep(5) AS x) SELECT x FROM s
-- case: forbidden function in order by
SELECT id FROM t ORDER BY sleep(1)
-- case: forbidden function in a join condition
SELECT a.id FROM a JOIN b ON a.id = b.id AND pg_sleep(1) IS NULL
-- case: mixed case function name
SELECT Pg_Sleep(1)
-- case: every forbidden function is reported
SELECT pg_sleep(1), sleep(1), load_file('/x')
-- case: ordinary functions are fine
SELECT upper(name), length(name), round(avg(age), 2), now() FROM singer GROUP BY name
-- case: a column named like a forbidden function is fine
SELECT sleep, benchmark FROM settings
-- case: table_to_xml reads a table named in a string
-- dialects: postgres
-- config: block=secret
SELECT table_to_xml('secret', true, false, '')
-- case: table_to_xml reads password hashes from the catalog
-- dialects: postgres
SELECT table_to_xml('pg_catalog.pg_authid', true, false, '')
-- case: database_to_xml dumps every table
-- dialects: postgres
SELECT database_to_xml(true, false, '')
-- case: ts_stat runs the query in its argument
-- dialects: postgres
SELECT * FROM ts_stat('SELECT to_tsvector(v) FROM secret')
-- case: ts_stat in the select list
-- dialects: postgres
SELECT ts_stat('SELECT to_tsvector(v) FROM secret')
-- case: another session's statement text through pg_stat_get_activity
-- dialects: postgres
SELECT (pg_stat_get_activity(NULL)).query
-- case: side effects that survive a read-only transaction
-- dialects: postgres
SELECT brin_summarize_new_values('orders_brin'), gin_clean_pending_list('docs_gin'), pg_stat_reset(), pg_stat_reset_shared('bgwriter')
-- case: catalog reader functions in where
-- dialects: postgres
SELECT id FROM t WHERE table_to_xml('secret', true, false, '') IS NOT NULL
-- case: unknown function nested inside allowed ones
-- dialects: postgres
SELECT upper(lower(CAST(query_to_xml('select 1', true, false, '') AS TEXT)))
-- case: unknown function in order by and group by
-- dialects: postgres
SELECT id FROM t GROUP BY id, pg_backend_pid() ORDER BY txid_current_if_assigned()
-- case: settings and server identity
-- dialects: postgres
SELECT current_setting('data_directory'), version(), inet_server_addr()
-- case: xml and file helpers in mysql
-- dialects: mysql
SELECT LOAD_FILE('/etc/passwd'), sys_exec('id'), UUID_SHORT()
-- case: sqlite pragma table functions
-- dialects: sqlite
SELECT name FROM pragma_table_info('secret')
-- case: sqlite extension and file functions
-- dialects: sqlite
SELECT load_extension('x'), fts3_tokenizer('simple'), readfile('/etc/passwd')
-- case: sql server file and trace readers
-- dialects: mssql
SELECT * FROM fn_xe_file_target_read_file('x', NULL, NULL, NULL)
-- case: a qualified call to an allowed name still needs the user
-- dialects: postgres
SELECT pg_catalog.lower(name) FROM t
-- case: a user-added function passes
-- dialects: postgres
-- config: functions=similarity,public.fiscal_year
SELECT name, similarity(name, 'Ada'), public.fiscal_year(created_at) FROM t
-- case: a user-added unqualified name does not allow the qualified call
-- dialects: postgres
-- config: functions=similarity
SELECT public.similarity(name, 'Ada') FROM t
-- case: analyst functions of postgres
-- dialects: postgres
SELECT date_trunc('month', created_at) AS m, count(*), round(avg(total)::numeric, 2), string_agg(name, ', '), coalesce(max(note), '-') FROM orders GROUP BY 1 ORDER BY 1
-- case: series and json construction in postgres
-- dialects: postgres
SELECT d::date, json_build_object('day', d) FROM generate_series(DATE '2025-01-01', DATE '2025-01-31', INTERVAL '1 day') AS g(d)
-- case: analyst functions of sqlite
-- dialects: sqlite
SELECT strftime('%Y-%m', order_date) AS m, count(*), total(amount), group_concat(name), ifnull(max(note), '-'), julianday('now') - julianday(min(order_date)) FROM orders GROUP BY 1
-- case: analyst functions of mysql
-- dialects: mysql
SELECT DATE_FORMAT(order_date, '%Y-%m') AS m, COUNT(*), IFNULL(MAX(note), '-'), DATEDIFF(MAX(order_date), MIN(order_date)), GROUP_CONCAT(name) FROM orders GROUP BY 1
-- case: analyst functions of sql server
-- dialects: mssql
SELECT DATEPART(year, order_date) AS y, COUNT(*), ISNULL(MAX(note), '-'), DATEDIFF(day, MIN(order_date), MAX(order_date)) FROM orders GROUP BY DATEPART(year, order_date)
-- case: window functions
SELECT name, rank() OVER (ORDER BY total DESC), lag(total) OVER (ORDER BY name), sum(total) OVER (PARTITION BY region) FROM sales
-- case: string and math functions everywhere
SELECT lower(name), upper(city), length(name), substr(name, 1, 3), replace(name, 'a', 'b'), abs(x), round(x, 1), floor(x), nullif(x, 0), coalesce(y, 0) FROM t
