-- case: plain select
SELECT name, age FROM singer WHERE age > 20
-- case: keyword inside a column name
SELECT created_at, updated_at, deleted FROM events
-- case: keywords inside string literals
SELECT id FROM notes WHERE body = 'DROP TABLE users; DELETE FROM x' OR body LIKE '%INSERT INTO%'
-- case: keyword-like table names
SELECT * FROM update_log JOIN drop_zone ON update_log.id = drop_zone.log_id
-- case: comment text is dropped from the rendered sql
SELECT id FROM t -- DROP TABLE t
-- case: block comment is dropped
SELECT /* DELETE FROM t */ id FROM t
-- case: leading comment before a plain query
-- just a note
SELECT 1
-- case: trailing semicolon is one statement
SELECT id FROM t;
-- case: count star
SELECT count(*) FROM singer
-- case: aggregate with group by and having
SELECT country, count(*) FROM singer GROUP BY country HAVING count(*) > 1
-- case: order by and limit kept
SELECT name FROM singer ORDER BY age DESC LIMIT 3
-- case: nested subquery in where
SELECT name FROM stadium WHERE stadium_id NOT IN (SELECT stadium_id FROM concert WHERE year = 2014)
-- case: subquery in select list
SELECT name, (SELECT max(capacity) FROM stadium) AS biggest FROM singer
-- case: subquery in having
SELECT country FROM singer GROUP BY country HAVING avg(age) > (SELECT avg(age) FROM singer_archive)
-- case: exists subquery
SELECT name FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.a_id = a.id)
-- case: derived table in from
SELECT s.n FROM (SELECT name AS n FROM singer) AS s
-- case: three levels of nesting
SELECT x FROM (SELECT x FROM (SELECT x FROM deep WHERE x IN (SELECT y FROM deeper)) AS d1) AS d2
-- case: union
SELECT name FROM singer UNION SELECT name FROM band
-- case: union all with order by
SELECT name FROM singer UNION ALL SELECT name FROM band ORDER BY name
-- case: intersect
SELECT country FROM singer WHERE age > 40 INTERSECT SELECT country FROM singer WHERE age < 30
-- case: except
SELECT id FROM a EXCEPT SELECT id FROM b
-- case: left join with on
SELECT a.x, b.y FROM a LEFT JOIN b ON a.id = b.a_id
-- case: join using
SELECT a.x FROM a JOIN b USING (id)
-- case: case expression and functions
SELECT CASE WHEN age > 30 THEN 'old' ELSE 'young' END, lower(name), coalesce(country, '?') FROM singer
-- case: cte
WITH recent AS (SELECT id FROM orders WHERE year = 2024) SELECT count(*) FROM recent
-- case: two ctes, the second reading the first
WITH a AS (SELECT id FROM orders), b AS (SELECT id FROM a) SELECT id FROM b
-- case: recursive cte
-- dialects: sqlite postgres mysql
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n
-- case: sql server recursive cte without keyword
-- dialects: mssql sqlite
WITH n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n
-- case: values
-- dialects: sqlite postgres
VALUES (1, 'a'), (2, 'b')
-- case: explain without analyze
-- dialects: sqlite postgres mysql
EXPLAIN SELECT id FROM t
-- case: window function
SELECT name, rank() OVER (PARTITION BY country ORDER BY age) FROM singer
-- case: mysql dual is not a table
-- dialects: mysql
SELECT 1 + 1 FROM DUAL
-- case: generate_series table function
-- dialects: postgres
SELECT n FROM generate_series(1, 3) AS g(n)
-- case: json_each table function
-- dialects: sqlite
SELECT value FROM json_each('[1,2]')
-- case: lateral subquery
-- dialects: postgres
SELECT a.id, l.x FROM a, LATERAL (SELECT x FROM b WHERE b.a_id = a.id) AS l WHERE a.id > 0
-- case: cross apply
-- dialects: mssql
SELECT a.id, x.v FROM a CROSS APPLY (SELECT TOP 1 v FROM b WHERE b.a_id = a.id) AS x
-- case: for json is a read
-- dialects: mssql
SELECT id FROM t FOR JSON AUTO
