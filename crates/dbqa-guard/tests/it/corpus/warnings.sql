-- case: select star warns
SELECT * FROM singer
-- case: qualified star warns
SELECT s.* FROM singer s
-- case: star in a subquery warns
SELECT name FROM (SELECT * FROM singer) AS s
-- case: count star does not warn
SELECT count(*) FROM singer
-- case: join without condition warns
-- dialects: sqlite mysql
SELECT a.x FROM a JOIN b
-- case: comma join without where warns
SELECT a.x FROM a, b
-- case: comma join with where does not warn
SELECT a.x FROM a, b WHERE a.id = b.a_id
-- case: explicit cross join does not warn
SELECT a.x FROM a CROSS JOIN b
-- case: natural join does not warn
-- dialects: sqlite postgres mysql
SELECT a.x FROM a NATURAL JOIN b
-- case: several warnings at once
-- config: max_rows=10
SELECT * FROM a, b
