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
