-- case: tables from every join
SELECT 1 FROM a JOIN b ON a.id = b.id LEFT JOIN c ON c.id = b.id, d WHERE d.id = a.id
-- case: tables from subqueries everywhere
SELECT (SELECT max(x) FROM s1) FROM t WHERE id IN (SELECT id FROM s2) GROUP BY id HAVING count(*) > (SELECT count(*) FROM s3)
-- case: tables from both sides of a set operation
SELECT a FROM left_side UNION SELECT b FROM right_side EXCEPT SELECT c FROM third_side
-- case: blocked table in a join
-- config: block=salaries
SELECT e.name FROM employees e JOIN salaries s ON s.emp_id = e.id
-- case: blocked table in a where subquery
-- config: block=salaries
SELECT name FROM employees WHERE id IN (SELECT emp_id FROM salaries)
-- case: blocked table in a select-list subquery
-- config: block=salaries
SELECT name, (SELECT max(amount) FROM salaries) FROM employees
-- case: blocked table in a having subquery
-- config: block=salaries
SELECT dept FROM employees GROUP BY dept HAVING count(*) > (SELECT count(*) FROM salaries)
-- case: blocked table in the second half of a union
-- config: block=salaries
SELECT name FROM employees UNION SELECT note FROM salaries
-- case: blocked table in a cte body
-- config: block=salaries
WITH s AS (SELECT amount FROM salaries) SELECT amount FROM s
-- case: blocked table in a derived table
-- config: block=salaries
SELECT x FROM (SELECT amount AS x FROM salaries) AS d
-- case: blocked table in an exists
-- config: block=salaries
SELECT 1 FROM employees WHERE EXISTS (SELECT 1 FROM salaries)
-- case: blocked table in a table function argument
-- dialects: postgres
-- config: block=salaries
SELECT * FROM unnest(ARRAY(SELECT amount FROM salaries)) AS u
-- case: cte named like a blocked table is not the table
-- config: block=salaries
WITH salaries AS (SELECT 1 AS amount) SELECT amount FROM salaries
-- case: cte shadowing a blocked table cannot hide the table in its own body
-- dialects: postgres mysql
-- config: block=salaries
WITH salaries AS (SELECT amount FROM salaries) SELECT amount FROM salaries
-- case: cte shadowing a table is excluded from the tables
-- config: allow=orders
WITH customers AS (SELECT customer_id FROM orders) SELECT count(*) FROM customers
-- case: cte referenced before it is defined is a table
-- dialects: postgres mysql
-- config: allow=orders
WITH a AS (SELECT id FROM b), b AS (SELECT id FROM orders) SELECT id FROM a
-- case: cte name only counts in its own query
-- config: allow=orders
SELECT (WITH x AS (SELECT id FROM orders) SELECT count(*) FROM x), (SELECT count(*) FROM x)
-- case: qualified name never refers to a cte
-- dialects: sqlite postgres
-- config: block=recent
WITH recent AS (SELECT 1 AS id) SELECT id FROM main.recent
-- case: cte name compared case-insensitively
WITH Recent AS (SELECT id FROM orders) SELECT id FROM RECENT
-- case: allow list accepts listed tables
-- config: allow=singer,concert
SELECT s.name FROM singer s JOIN concert c ON c.singer_id = s.id
-- case: allow list refuses every other table
-- config: allow=singer
SELECT s.name FROM singer s JOIN concert c ON c.singer_id = s.id JOIN stadium st ON st.id = c.stadium_id
-- case: allow and block lists together
-- config: allow=singer,secret block=secret
SELECT 1 FROM singer, secret WHERE singer.id = secret.id
-- case: sqlite_master refused
-- dialects: sqlite
SELECT name FROM sqlite_master
-- case: sqlite_schema qualified refused
-- dialects: sqlite
SELECT sql FROM main.sqlite_schema
-- case: sqlite pragma table function refused
-- dialects: sqlite
SELECT * FROM pragma_table_info('users')
-- case: information_schema refused
SELECT table_name FROM information_schema.tables
-- case: pg_catalog refused
-- dialects: postgres
SELECT relname FROM pg_catalog.pg_class
-- case: pg_ views through the search path refused
-- dialects: postgres
SELECT usename, passwd FROM pg_shadow
-- case: mysql user table refused
-- dialects: mysql
SELECT user, authentication_string FROM mysql.user
-- case: performance_schema refused
-- dialects: mysql
SELECT * FROM performance_schema.threads
-- case: sql server sys schema refused
-- dialects: mssql
SELECT name FROM sys.tables
-- case: sql server compatibility view refused
-- dialects: mssql
SELECT name FROM sysobjects
-- case: sql server master database refused
-- dialects: mssql
SELECT name FROM master.dbo.sysdatabases
-- case: catalogs allowed when configured
-- config: catalogs
SELECT table_name FROM information_schema.tables
-- case: catalogs allowed pass an allow list
-- dialects: postgres
-- config: catalogs allow=orders
SELECT relname FROM pg_catalog.pg_class JOIN orders ON true
-- case: catalog hidden in a subquery
-- dialects: sqlite
SELECT 1 FROM t WHERE EXISTS (SELECT 1 FROM sqlite_master)
-- case: user table with a catalog-like name in another schema
-- dialects: postgres
SELECT * FROM public.pg_notes
-- case: table read by TABLE command
-- dialects: postgres mysql
-- config: block=secret
TABLE secret
-- case: tables of a table function with subquery are collected
-- dialects: postgres
SELECT * FROM generate_series(1, (SELECT max(n) FROM counts))
-- case: a qualified allow entry matches only its schema
-- dialects: postgres
-- config: allow=public.t
SELECT * FROM hr.t
-- case: a qualified allow entry matches the unqualified name in its schema
-- dialects: postgres
-- config: allow=public.t
SELECT id FROM t
-- case: an unqualified allow entry matches the default schema only
-- dialects: postgres sqlite mssql
-- config: allow=t
SELECT id FROM hr.t
-- case: another mysql database through a qualifier
-- dialects: mysql
-- config: allow=t,orders schema=shop
SELECT * FROM otherdb.orders
-- case: the current mysql database may be named
-- dialects: mysql
-- config: allow=t,orders schema=shop
SELECT id FROM shop.orders
-- case: another mysql database without any allow list
-- dialects: mysql
-- config: schema=shop
SELECT id FROM otherdb.orders
-- case: another mysql database may be listed
-- dialects: mysql
-- config: allow=orders,otherdb.orders schema=shop
SELECT id FROM otherdb.orders
-- case: mysql table names keep case where the server does
-- dialects: mysql
-- config: allow=t,orders schema=shop
SELECT id FROM ORDERS
-- case: mysql table names fold where the server does
-- dialects: mysql
-- config: allow=t,orders schema=shop case_insensitive
SELECT id FROM ORDERS
-- case: sql server three-part name to another database
-- dialects: mssql
-- config: database=shop
SELECT id FROM hr.dbo.salaries
-- case: sql server three-part name to the current database
-- dialects: mssql
-- config: database=shop
SELECT id FROM shop.dbo.orders
-- case: sql server linked server
-- dialects: mssql
SELECT id FROM remote.hr.dbo.salaries
-- case: postgres quoted names keep their case in allow lists
-- dialects: postgres
-- config: allow=orders
SELECT id FROM "Orders"
