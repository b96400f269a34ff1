-- case: limit added
-- config: max_rows=100
SELECT id FROM t
-- case: smaller limit kept
-- dialects: sqlite postgres mysql
-- config: max_rows=100
SELECT id FROM t LIMIT 5
-- case: larger limit lowered
-- dialects: sqlite postgres mysql
-- config: max_rows=100
SELECT id FROM t LIMIT 5000
-- case: limit with offset lowered
-- dialects: sqlite postgres mysql
-- config: max_rows=100
SELECT id FROM t ORDER BY id LIMIT 5000 OFFSET 10
-- case: mysql offset comma limit lowered
-- dialects: mysql sqlite
-- config: max_rows=100
SELECT id FROM t LIMIT 10, 5000
-- case: limit all replaced
-- dialects: postgres
-- config: max_rows=100
SELECT id FROM t LIMIT ALL
-- case: negative limit means unlimited in sqlite
-- dialects: sqlite
-- config: max_rows=100
SELECT id FROM t LIMIT -1
-- case: limit with a parameter cannot be bounded
-- dialects: postgres
-- config: max_rows=100
SELECT id FROM t LIMIT $1
-- case: limit with an expression cannot be bounded
-- dialects: sqlite postgres
-- config: max_rows=100
SELECT id FROM t LIMIT (SELECT count(*) FROM u)
-- case: union gets one limit for the whole result
-- config: max_rows=100
SELECT a FROM x UNION SELECT a FROM y
-- case: union with order by keeps the order
-- config: max_rows=100
SELECT a FROM x UNION SELECT a FROM y ORDER BY a
-- case: order by with limit added after it
-- config: max_rows=100
SELECT name FROM singer ORDER BY age DESC
-- case: cte query gets a limit
-- config: max_rows=100
WITH r AS (SELECT id FROM t) SELECT id FROM r
-- case: inner limits untouched
-- dialects: sqlite postgres mysql
-- config: max_rows=100
SELECT id FROM (SELECT id FROM t LIMIT 100000) AS s
-- case: fetch first lowered
-- dialects: postgres
-- config: max_rows=100
SELECT id FROM t ORDER BY id FETCH FIRST 500 ROWS ONLY
-- case: fetch first kept when smaller
-- dialects: postgres
-- config: max_rows=100
SELECT id FROM t ORDER BY id FETCH FIRST 5 ROWS ONLY
-- case: fetch with ties cannot be bounded
-- dialects: postgres
-- config: max_rows=100
SELECT id FROM t ORDER BY id FETCH FIRST 5 ROWS WITH TIES
-- case: sql server top added
-- dialects: mssql
-- config: max_rows=100
SELECT id FROM t
-- case: sql server top added after distinct
-- dialects: mssql
-- config: max_rows=100
SELECT DISTINCT id FROM t ORDER BY id
-- case: sql server top lowered
-- dialects: mssql
-- config: max_rows=100
SELECT TOP 1000 id FROM t
-- case: sql server parenthesised top lowered
-- dialects: mssql
-- config: max_rows=100
SELECT TOP (1000) id FROM t
-- case: sql server top kept when smaller
-- dialects: mssql
-- config: max_rows=100
SELECT TOP 3 id FROM t ORDER BY id
-- case: sql server top percent cannot be bounded
-- dialects: mssql
-- config: max_rows=100
SELECT TOP 50 PERCENT id FROM t
-- case: sql server top with ties cannot be bounded
-- dialects: mssql
-- config: max_rows=100
SELECT TOP 5 WITH TIES id FROM t ORDER BY id
-- case: sql server offset fetch lowered
-- dialects: mssql
-- config: max_rows=100
SELECT id FROM t ORDER BY id OFFSET 10 ROWS FETCH NEXT 500 ROWS ONLY
-- case: sql server offset without fetch gets a fetch
-- dialects: mssql
-- config: max_rows=100
SELECT id FROM t ORDER BY id OFFSET 10 ROWS
-- case: sql server union without order by is wrapped
-- dialects: mssql
-- config: max_rows=100
SELECT a FROM x UNION SELECT a FROM y
-- case: sql server union with order by gets offset fetch
-- dialects: mssql
-- config: max_rows=100
SELECT a FROM x UNION SELECT a FROM y ORDER BY a
-- case: sql server cte with union is wrapped with the cte outside
-- dialects: mssql
-- config: max_rows=100
WITH r AS (SELECT a FROM x) SELECT a FROM r UNION ALL SELECT a FROM y
-- case: huge limit literal lowered
-- dialects: sqlite postgres mysql
-- config: max_rows=100
SELECT id FROM t LIMIT 99999999999999999999999
-- case: explain is not limited
-- dialects: postgres
-- config: max_rows=100
EXPLAIN SELECT id FROM t
